using System.Net;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;

namespace WgSharp.Tests.Ifconfig;

public sealed class HostnameIfReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wgsharp-hostnameif-" + Guid.NewGuid().ToString("N"));

    public HostnameIfReaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Priv = TestKeys.Base64(0x11);
    private static readonly string Pub = TestKeys.Base64(0x22);

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void GoodAndBadLinesWithFileAndLineNumbers()
    {
        string contents =
            "# wg1 for the lab\n" +
            $"wgkey {Priv} wgport 7111\n" +
            "\n" +
            "wgport 70000\n" +
            $"wgpeer {Pub} wgendpoint 127.0.0.1 7222 wgaip 192.168.5.2/32 # the other box\n" +
            "   # indented comment\n" +
            "wgaip 10.0.0.0/24\n" +
            "inet 192.168.5.1 255.255.255.0 NONE\r\n" +
            "up";
        File.WriteAllText(Path.Combine(_dir, "hostname.wg1"), contents);

        var file = HostnameIfReader.Read(_dir, "wg1");
        string path = Path.Combine(_dir, "hostname.wg1");
        Assert.Equal(path, file.Path);
        Assert.Equal("wg1", file.InterfaceName);
        Assert.Equal([2, 4, 5, 7, 8, 9], file.Lines.Select(l => l.LineNumber));
        Assert.True(file.HasErrors);

        var errors = file.Errors.ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal($"wgsharp: {path}:4: wgport: 70000: out of range", errors[0].Error!.FullMessage);
        Assert.Equal("70000", errors[0].Error!.Word);
        Assert.Null(errors[0].Command);
        Assert.Equal($"wgsharp: {path}:7: wgaip: wgpeer not set", errors[1].Error!.FullMessage);

        var good = file.Lines.Where(l => !l.IsError).ToList();
        Assert.Equal((ushort)7111, good[0].Command!.Update.ListenPort);
        Assert.Equal(TestKeys.Make(0x11), good[0].Command!.Update.PrivateKey);
        var peer = Assert.Single(good[1].Command!.Update.Peers);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7222), peer.Endpoint);
        Assert.Equal(7, good[1].Arguments.Count); // the trailing comment is gone
        Assert.Equal(["inet", "192.168.5.1", "netmask", "255.255.255.0"], good[2].Arguments);
        Assert.Equal([new IpPrefix(IPAddress.Parse("192.168.5.1"), 24)], good[2].Command!.AddAddresses);
        Assert.True(good[3].Command!.Up);
    }

    [Fact]
    public void InetPositionalForms()
    {
        var file = HostnameIfReader.Parse("hostname.wg0", "wg0",
            "inet 10.0.0.1 255.255.0.0 10.0.255.255\n" +
            "inet alias 10.1.0.1 0xffffff00\n" +
            "inet 10.2.0.1/24 up\n" +
            "inet6 fd00::1 48\n" +
            "inet6 alias fd01::1 64\n" +
            "inet6 fd02::1/56\n");
        Assert.False(file.HasErrors, string.Join("; ", file.Errors.Select(e => e.Error!.FullMessage)));
        Assert.Equal(["inet", "10.0.0.1", "netmask", "255.255.0.0", "broadcast", "10.0.255.255"], file.Lines[0].Arguments);
        Assert.Equal(new IpPrefix(IPAddress.Parse("10.0.0.1"), 16), file.Lines[0].Command!.AddAddresses.Single());
        Assert.Equal(["inet", "alias", "10.1.0.1", "netmask", "0xffffff00"], file.Lines[1].Arguments);
        Assert.False(file.Lines[1].Command!.ReplacePrimaryInetAddress);
        Assert.Equal(new IpPrefix(IPAddress.Parse("10.1.0.1"), 24), file.Lines[1].Command!.AddAddresses.Single());
        Assert.Equal(["inet", "10.2.0.1/24", "up"], file.Lines[2].Arguments);
        Assert.Equal(["inet6", "fd00::1", "prefixlen", "48"], file.Lines[3].Arguments);
        Assert.Equal(new IpPrefix(IPAddress.Parse("fd00::1"), 48), file.Lines[3].Command!.AddAddresses.Single());
        Assert.Equal(new IpPrefix(IPAddress.Parse("fd01::1"), 64), file.Lines[4].Command!.AddAddresses.Single());
        Assert.Equal(new IpPrefix(IPAddress.Parse("fd02::1"), 56), file.Lines[5].Command!.AddAddresses.Single());
    }

    [Fact]
    public void ShellLinesAreReturnedWithIfSubstituted()
    {
        var file = HostnameIfReader.Parse("hostname.wg2", "wg2", "up\n!route add -inet 10.9.0.0/16 -iface  $if\n");
        var shell = file.Lines[1];
        Assert.Equal("route add -inet 10.9.0.0/16 -iface wg2", shell.ShellCommand);
        Assert.Null(shell.Command);
        Assert.False(shell.IsError);
    }

    [Fact]
    public void UnsupportedNetstartKeywordsAreErrors()
    {
        var file = HostnameIfReader.Parse("f", "wg0", "dhcp\nup\n");
        Assert.Equal("wgsharp: f:1: dhcp: unknown option", file.Lines[0].Error!.FullMessage);
        Assert.True(file.Lines[1].Command!.Up);
    }

    [Fact]
    public void ListInterfacesSkipsBackupsAndOtherFiles()
    {
        foreach (string name in new[] { "hostname.wg0", "hostname.wg10", "hostname.em0", "hostname.wg0.orig", "hostname.wg0~", "hostname.wg", "hosts" })
            File.WriteAllText(Path.Combine(_dir, name), "up\n");
        Assert.Equal(["em0", "wg0", "wg10"], HostnameIfReader.ListInterfaces(_dir));
        Assert.Empty(HostnameIfReader.ListInterfaces(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void MissingFileAndBadNamesThrow()
    {
        Assert.Throws<FileNotFoundException>(() => HostnameIfReader.Read(_dir, "wg7"));
        Assert.Throws<ArgumentException>(() => HostnameIfReader.Read(_dir, "../etc/passwd"));
    }

    [Theory]
    [InlineData("wg0", true)]
    [InlineData("em12", true)]
    [InlineData("wg", false)]
    [InlineData("0wg", false)]
    [InlineData("wg0a", false)]
    [InlineData("wg0.bak", false)]
    [InlineData("", false)]
    public void ConfigurableNames(string name, bool expected)
    {
        Assert.Equal(expected, HostnameIfReader.IsConfigurableName(name));
    }
}
