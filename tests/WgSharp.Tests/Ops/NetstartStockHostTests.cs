using WgSharp.Cli.Ifconfig;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// `wgsharp netstart` on a stock Debian host (issue 20, item 3): /etc/hostname and other hostname* files that are not
/// hostname.IFNAME with a valid interface name are skipped, and no .NET exception message reaches the user.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class NetstartStockHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-netstart-stock-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void Write(string name, string contents) => File.WriteAllText(Path.Combine(_directory, name), contents);

    [Fact]
    public void OnlyHostnameDotValidInterfaceNamesAreListed()
    {
        Write("hostname", "debian\n");
        Write("hostname.", "\n");
        Write("hostnames", "\n");
        Write("hostname.wg7", "up\n");
        Write("hostname.wg7~", "up\n");
        Write("hostname.wg7.orig", "up\n");
        Write("hostname.wg", "up\n");
        Write("hostname.averyveryverylongname0", "up\n");
        Assert.Equal(["wg7"], HostnameIfReader.ListInterfaces(_directory));
    }

    [Fact]
    public void NetstartWithNoNamesOnAHostWithEtcHostnameDoesNothingAndSucceeds()
    {
        Write("hostname", "debian\n");
        Write("hostname.", "\n");
        var result = WgSharpCli.Shell("wgsharp netstart", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });
        Assert.Equal("", result.StandardError);
        Assert.Equal(0, result.ExitCode);
    }
}
