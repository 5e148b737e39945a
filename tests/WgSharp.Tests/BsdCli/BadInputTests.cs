using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>A bad word anywhere exits non-zero with one line naming it, and changes nothing.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class BadInputTests : IClassFixture<BadInputTests.ConfiguredInterface>
{
    private static readonly string If = TestNames.NewInterface(); // unique: other test runs may be going on
    private static readonly string Port = FreePorts.Udp().ToString(System.Globalization.CultureInfo.InvariantCulture);
    private static readonly string Peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();
    private static readonly string Psk = KeyGenerator.GeneratePresharedKey().ToBase64();

    /// <summary>One configured interface for all cases: none of them may change it.</summary>
    public sealed class ConfiguredInterface : IDisposable
    {
        public ConfiguredInterface()
        {
            WgSharpCli.CleanUp([If], []);
            WgSharpCli.Ok(If, "create", "wgkey", KeyGenerator.GeneratePrivateKey().ToBase64(), "wgport", Port,
                "wgpeer", Peer, "wgaip", "10.204.0.0/24", "wgendpoint", "127.0.0.1", "7345");
        }

        public void Dispose() => WgSharpCli.CleanUp([If], []);
    }

    public static TheoryData<string[], string> Cases => new()
    {
        { ["bogus"], "bogus" },
        { ["wgport", "7399", "bogus"], "bogus" },
        { ["wgkey", "not-a-key"], "wgkey" },
        { ["wgport", "70000"], "70000" },
        { ["wgport", "-1"], "-1" },
        { ["wgpeer", Peer, "wgaip", "10.204.0.1/24"], "10.204.0.1/24" },
        { ["wgpeer", Peer, "wgaip", "10.204.0.0/33"], "10.204.0.0/33" },
        { ["wgpeer", "AAAA", "wgaip", "10.205.0.0/24"], "AAAA" },
        { ["wgpsk", Psk, "wgpeer", Peer], "wgpsk" },
        { ["wgaip", "10.205.0.0/24"], "wgaip" },
        { ["wgpeer", Peer, "wgendpoint", "127.0.0.1", "0"], "wgendpoint" },
        { ["wgpeer", Peer, "wgpka", "50000"], "50000" },
        { ["10.204.9.1/40"], "10.204.9.1/40" },
        { ["mtu", "10"], "10" },
        { ["rdomain", "256"], "256" },
        { ["wgpeer", Peer, "-wgpsk", "wgport"], "wgport" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadWordIsNamedAndNothingChanges(string[] args, string badWord)
    {
        string before = WgSharpCli.Wg("showconf", If).EnsureSuccess().StandardOutput;
        string statusBefore = WgSharpCli.Ok(If).StandardOutput;

        var result = WgSharpCli.Run([If, .. args]);

        Assert.NotEqual(0, result.ExitCode);
        string[] lines = result.StandardError.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("wgsharp: ", lines[0]);
        Assert.Contains(badWord, lines[0]);
        Assert.DoesNotContain(Psk, lines[0]); // key material is never echoed
        Assert.Equal("", result.StandardOutput);
        Assert.Equal(before, WgSharpCli.Wg("showconf", If).EnsureSuccess().StandardOutput);
        Assert.Equal(RemoveCounters(statusBefore), RemoveCounters(WgSharpCli.Ok(If).StandardOutput));
    }

    /// <summary>Status lines that may change by themselves (none here, as nothing is sent) are not compared.</summary>
    private static string RemoveCounters(string status) =>
        string.Join('\n', status.Split('\n').Where(l => !l.Contains("tx: ", StringComparison.Ordinal) && !l.Contains("last handshake", StringComparison.Ordinal)));

    [Fact]
    public void OptionsOnAMissingInterfaceFail()
    {
        string missing = TestNames.NewInterface();
        var result = WgSharpCli.Run(missing, "wgport", "7350");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"wgsharp: {missing}: no such interface", result.StandardError.Trim());
        Assert.False(File.Exists($"/var/run/wireguard/{missing}.sock"));
    }

    [Fact]
    public void CreatingAnExistingInterfaceFailsAndAppliesNothing()
    {
        string before = WgSharpCli.Wg("showconf", If).EnsureSuccess().StandardOutput;
        var result = WgSharpCli.Run(If, "create", "wgport", "7351");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("File exists", result.StandardError);
        Assert.Equal(before, WgSharpCli.Wg("showconf", If).EnsureSuccess().StandardOutput);
    }

    [Fact]
    public void APortInUseIsReportedByTheDaemon()
    {
        using var blocker = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        int taken = ((System.Net.IPEndPoint)blocker.Client.LocalEndPoint!).Port;
        var result = WgSharpCli.Run(If, "wgport", taken.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith($"wgsharp: {If}: ", result.StandardError);
        Assert.Contains($"ListenPort = {Port}", WgSharpCli.Wg("showconf", If).StandardOutput);
    }
}
