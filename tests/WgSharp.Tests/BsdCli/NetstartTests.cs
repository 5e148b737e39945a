using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>`wgsharp netstart` applies hostname.wgN files line by line; a file with a bad line is reported and applies nothing, the others still apply.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class NetstartTests : IDisposable
{
    // Unique names (in the wgN form netstart takes) and ports: other test runs may be going on. _unnamed has no file.
    private readonly string _first = TestNames.NewNumberedInterface(), _second = TestNames.NewNumberedInterface(),
        _unnamed = TestNames.NewNumberedInterface();
    private readonly int _firstPort = FreePorts.Udp(), _secondPort = FreePorts.Udp();
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-netstart-").FullName;

    public NetstartTests() => WgSharpCli.CleanUp([_first, _second, _unnamed], []);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_first, _second, _unnamed], []);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void AllHostnameWgFilesAreAppliedAndBadLinesReported()
    {
        var key = KeyGenerator.GeneratePrivateKey();
        var peer1 = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
        var peer2 = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
        string marker = Path.Combine(_directory, "shell.out");
        File.WriteAllText(Path.Combine(_directory, "hostname." + _first), $"""
            wgkey {key.ToBase64()} wgport {_firstPort}
            # peers
            wgpeer {peer1.ToBase64()} wgaip 10.207.0.0/24 wgendpoint 127.0.0.1 7378   # the hub
            wgport 99999
            inet 10.207.0.1 255.255.255.0 NONE

            !echo configured $if > {marker}
            wgpeer {peer2.ToBase64()} wgpka 25
            """);
        File.WriteAllText(Path.Combine(_directory, "hostname." + _second), $"wgport {_secondPort}\nup\n");
        // Neither a backup file nor a non-wg interface is started without being named.
        File.WriteAllText(Path.Combine(_directory, $"hostname.{_unnamed}~"), "up\n");
        File.WriteAllText(Path.Combine(_directory, "hostname.em0"), "up\n");
        // Root's and private, as a file with a key must be: a world-readable one would add a warning line (issue 21).
        foreach (var file in Directory.GetFiles(_directory)) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = WgSharpCli.Shell("wgsharp netstart", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });

        Assert.Equal(1, result.ExitCode);
        string[] errors = result.StandardError.TrimEnd('\n').Split('\n');
        Assert.Equal(2, errors.Length);
        Assert.Contains($"hostname.{_first}:4: ", errors[0]);
        Assert.Contains("99999", errors[0]);
        Assert.Contains($"netstart: {_first}: nothing applied", errors[1]);

        // All or nothing: a file with a line that does not parse applies no line (the manual's promise for a bad word).
        Assert.False(WgSharpCli.IsServing(_first));
        Assert.False(File.Exists(marker));
        _ = (key, peer1, peer2);

        Assert.Contains($"\twgport {_secondPort}\n", WgSharpCli.Ok(_second).StandardOutput);
        Assert.Contains("<UP,", WgSharpCli.Ok(_second).StandardOutput);
        Assert.False(WgSharpCli.IsServing(_unnamed));
        Assert.False(WgSharpCli.IsServing("em0"));

        // Run again for one named interface: it exists already, so the lines are simply re-applied.
        var again = WgSharpCli.Shell($"wgsharp netstart {_second}", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });
        Assert.True(again.Succeeded, again.StandardError);
    }

    [Fact]
    public void AMissingFileIsAnError()
    {
        var result = WgSharpCli.Shell($"wgsharp netstart {_unnamed}", new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"hostname.{_unnamed}", result.StandardError);
        Assert.False(WgSharpCli.IsServing(_unnamed));
    }
}
