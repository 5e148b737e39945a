using System.Net.Sockets;
using System.Text;
using WgSharp.Cli.Daemon;
using WgSharp.Configuration;
using WgSharp.Keys;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Observability;

/// <summary>
/// A detached daemon logs to syslog (a fake /dev/log here, by WGSHARP_SYSLOG_SOCKET), a daemon under systemd to
/// the journal stream with priority prefixes; `debug` on a running interface shows its lines there, at debug
/// priority; configuration changes are logged without keys.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class DaemonLogTests : IDisposable
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(15);
    private readonly string _name = TestNames.NewInterface();

    public DaemonLogTests() => WgSharpCli.CleanUp([_name], []);

    public void Dispose() => WgSharpCli.CleanUp([_name], []);

    [Fact]
    public void DetachedDaemonLogsToSyslogAndDebugOnARunningInterfaceShowsThere()
    {
        using var syslog = new FakeSyslog();
        var key = KeyGenerator.GeneratePrivateKey();
        var peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
        var environment = new Dictionary<string, string> { [SyslogLoggerProvider.SocketVariable] = syslog.Path, ["LOG_LEVEL"] = "" };
        WgSharpCli.Shell($"wgsharp {_name} create wgkey {key.ToBase64()}", environment).EnsureSuccess();

        Assert.True(syslog.WaitFor($"{_name}: device started", LogTimeout), syslog.Text);
        Assert.True(syslog.WaitFor($"{_name}: configuration changed: private key set", LogTimeout), syslog.Text);
        Assert.Matches(@"^<30>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d wgsharp\[\d+\]: ", syslog.Lines.First());

        // Debug switched on for the running interface: a keepalive interval makes it start a handshake at once.
        WgSharpCli.Ok(_name, "debug");
        WgSharpCli.Ok(_name, "wgpeer", peer.ToBase64(), "wgendpoint", "127.0.0.1", "9", "wgaip", "10.233.0.2/32", "wgpka", "1");
        string peerName = WgSharp.Device.Peer.FormatLogName(peer);
        Assert.True(syslog.WaitFor($"<31>", LogTimeout) && syslog.WaitFor($"{_name}: Sending handshake initiation to {peerName}", LogTimeout), syslog.Text);
        Assert.Contains(syslog.Lines, l => l.StartsWith("<31>", StringComparison.Ordinal) && l.Contains("Sending handshake initiation", StringComparison.Ordinal));
        Assert.Contains($"{_name}: {peerName}: endpoint 127.0.0.1:9, persistent keepalive 1, allowed IPs replaced, allowed IPs + 10.233.0.2/32", syslog.Text);
        Assert.DoesNotContain(key.ToBase64(), syslog.Text);
        Assert.DoesNotContain(peer.ToBase64(), syslog.Text);
    }

    [Fact]
    public void UnderSystemdStandardErrorCarriesPriorityPrefixes()
    {
        using var daemon = new ForegroundDaemon(_name, environment: new Dictionary<string, string> { [JournalLoggerProvider.StreamVariable] = "8:12345" });
        Assert.True(daemon.WaitForLog($"<6>{_name}: device started", LogTimeout), daemon.Log);
        WgSharpCli.Ok(_name, "wgkey", KeyGenerator.GeneratePrivateKey().ToBase64(), "debug");
        WgSharpCli.Ok(_name, "wgpeer", KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64(), "wgendpoint", "127.0.0.1", "9", "wgpka", "1");
        Assert.True(daemon.WaitForLog("<7>" + _name + ": Sending handshake initiation", LogTimeout), daemon.Log);
        Assert.True(daemon.WaitForLog($"<6>{_name}: configuration changed: private key set, debug on", LogTimeout), daemon.Log);
    }

    [Fact]
    public void LogFileGetsTheLinesWhenAsked()
    {
        string file = Path.Combine(Path.GetTempPath(), $"wgsharp-log-{Environment.ProcessId}-{Guid.NewGuid():N}.log");
        try
        {
            using (new ForegroundDaemon(_name, environment: new Dictionary<string, string> { [Logging.FileVariable] = file }))
                Assert.True(WaitFor(() => File.Exists(file) && File.ReadAllText(file).Contains($"info: wgsharp[0] {_name}: device started", StringComparison.Ordinal)));
        }
        finally { File.Delete(file); }
    }

    private static bool WaitFor(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < LogTimeout) { if (condition()) return true; Thread.Sleep(50); }
        return condition();
    }

    [Fact]
    public void SyslogLineIsRfc3164WithDaemonFacility()
    {
        var time = new DateTime(2026, 11, 6, 9, 5, 1);
        Assert.Equal("<27>Nov  6 09:05:01 wgsharp[42]: wg0: broken", SyslogLoggerProvider.Format(3, time, "wgsharp[42]", "wg0: broken"));
    }

    [Fact]
    public void ConfigurationChangesNameNoKey()
    {
        var psk = KeyGenerator.GeneratePrivateKey();
        var update = new DeviceUpdate { PrivateKey = KeyGenerator.GeneratePrivateKey(), ListenPort = 51820 };
        var peer = new PeerUpdate(KeyGenerator.DerivePublicKey(psk)) { PresharedKey = psk };
        update.Peers.Add(peer);
        Assert.Equal("private key set, listen port 51820", ConfigurationLog.DescribeInterface(update));
        Assert.Equal("preshared key set", ConfigurationLog.DescribePeer(peer));
    }
}
