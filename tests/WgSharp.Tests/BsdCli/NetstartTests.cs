using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>`wgsharp netstart` applies hostname.wgN files line by line, reporting bad lines and going on.</summary>
[Collection(NetnsCollection.Name)]
public sealed class NetstartTests : IDisposable
{
    private const string First = "wgsb7", Second = "wgsb8";
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-netstart-").FullName;

    public NetstartTests() => WgSharpCli.CleanUp([First, Second, "wgsb9"], []);

    public void Dispose()
    {
        WgSharpCli.CleanUp([First, Second, "wgsb9"], []);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void AllHostnameWgFilesAreAppliedAndBadLinesReported()
    {
        var key = KeyPair.GeneratePrivateKey();
        var peer1 = KeyPair.DerivePublicKey(KeyPair.GeneratePrivateKey());
        var peer2 = KeyPair.DerivePublicKey(KeyPair.GeneratePrivateKey());
        string marker = Path.Combine(_directory, "shell.out");
        File.WriteAllText(Path.Combine(_directory, "hostname." + First), $"""
            wgkey {key.ToBase64()} wgport 7377
            # peers
            wgpeer {peer1.ToBase64()} wgaip 10.207.0.0/24 wgendpoint 127.0.0.1 7378   # the hub
            wgport 99999
            inet 10.207.0.1 255.255.255.0 NONE

            !echo configured $if > {marker}
            wgpeer {peer2.ToBase64()} wgpka 25
            """);
        File.WriteAllText(Path.Combine(_directory, "hostname." + Second), "wgport 7388\nup\n");
        // Neither a backup file nor a non-wg interface is started without being named.
        File.WriteAllText(Path.Combine(_directory, "hostname.wgsb9~"), "up\n");
        File.WriteAllText(Path.Combine(_directory, "hostname.em0"), "up\n");

        var result = WgSharpCli.Shell("wgsharp netstart", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });

        Assert.Equal(1, result.ExitCode);
        string[] errors = result.StandardError.TrimEnd('\n').Split('\n');
        Assert.Single(errors);
        Assert.Contains($"hostname.{First}:4: ", errors[0]);
        Assert.Contains("99999", errors[0]);

        string conf = WgSharpCli.Wg("showconf", First).EnsureSuccess().StandardOutput;
        Assert.Contains("ListenPort = 7377", conf);
        Assert.Contains(peer1.ToBase64(), conf);
        Assert.Contains("AllowedIPs = 10.207.0.0/24", conf);
        Assert.Contains("Endpoint = 127.0.0.1:7378", conf);
        Assert.Contains(peer2.ToBase64(), conf); // the line after the bad one was applied
        Assert.Contains("PersistentKeepalive = 25", conf);
        string status = WgSharpCli.Ok(First).StandardOutput;
        Assert.Contains("\tinet 10.207.0.1 netmask 0xffffff00 broadcast 10.207.0.255\n", status);
        Assert.Equal($"configured {First}\n", File.ReadAllText(marker));

        Assert.Contains("\twgport 7388\n", WgSharpCli.Ok(Second).StandardOutput);
        Assert.Contains("<UP,", WgSharpCli.Ok(Second).StandardOutput);
        Assert.False(WgSharpCli.IsServing("wgsb9"));
        Assert.False(WgSharpCli.IsServing("em0"));

        // Run again for one named interface: it exists already, so the lines are simply re-applied.
        var again = WgSharpCli.Shell($"wgsharp netstart {Second}", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });
        Assert.True(again.Succeeded, again.StandardError);
    }

    [Fact]
    public void AMissingFileIsAnError()
    {
        var result = WgSharpCli.Shell("wgsharp netstart wgsb9", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("hostname.wgsb9", result.StandardError);
        Assert.False(WgSharpCli.IsServing("wgsb9"));
    }
}
