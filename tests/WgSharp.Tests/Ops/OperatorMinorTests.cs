using System.Globalization;
using WgSharp.Cli.Daemon;
using WgSharp.Device;
using WgSharp.Linux;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Ifconfig;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// Issue 20's minor list, as an operator meets it: a detached daemon on a host without syslog (its log must land
/// somewhere, and `create` must say where), link changes made with the ifconfig grammar and the metrics listener
/// in that log, the silent acceptances (a cut wgdescr, `-wgpeer` of a stranger, an mtu that turns IPv6 off), and
/// one rule for where `wgsharp IFNAME` / `wgsharp wg` look for a daemon started under `ip netns exec`.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class OperatorMinorTests : IDisposable
{
    private readonly string _name = TestNames.NewInterface();
    private readonly NetworkNamespace _ns = NetworkNamespace.Create();

    public OperatorMinorTests() => WgSharpCli.CleanUp([_name], []);

    public void Dispose()
    {
        WgSharpCli.Shell($"ip netns exec {_ns.Name} wgsharp {_name} destroy || true");
        WgSharpCli.CleanUp([_name], []);
        _ns.Dispose();
        foreach (string file in new[] { LogFile, LogFile + ".old" }) File.Delete(file);
    }

    private string LogFile => Logging.DetachedLogFile(_name);

    /// <summary>No syslog: what a container or a minimal host has (here: WGSHARP_SYSLOG_SOCKET names a path nobody serves).</summary>
    private static Dictionary<string, string> NoSyslog(int metricsPort = 0)
    {
        var environment = new Dictionary<string, string> { [SyslogLoggerProvider.SocketVariable] = "/nonexistent/wgsharp-test/log", ["LOG_LEVEL"] = "" };
        if (metricsPort != 0) environment[MetricsEndpoint.EnvironmentVariable] = metricsPort.ToString(CultureInfo.InvariantCulture);
        return environment;
    }

    private CommandResult InNamespace(string arguments, Dictionary<string, string>? environment = null) =>
        WgSharpCli.Shell($"ip netns exec {_ns.Name} wgsharp {_name} {arguments}", environment ?? NoSyslog());

    [Fact]
    public void ADetachedDaemonWithoutSyslogLogsToItsFileAndTheCliSaysWhatItDid()
    {
        int port = FreePorts.Udp();
        // At a terminal (script(1) gives it one), create says where the log goes; a script's stderr stays quiet.
        var created = WgSharpCli.Shell(
            $"script -qec 'ip netns exec {_ns.Name} wgsharp {_name} create wgport {port.ToString(CultureInfo.InvariantCulture)}' /dev/null",
            NoSyslog(metricsPort: FreePorts.Tcp()));
        Assert.True(created.ExitCode == 0, created.StandardOutput + created.StandardError);
        Assert.Contains($"no syslog listens on /nonexistent/wgsharp-test/log: the daemon logs to {LogFile}", created.StandardOutput);
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(LogFile), 8));
        WaitForLog("no syslog listens on /nonexistent/wgsharp-test/log: logging here");
        WaitForLog("device started");
        WaitForLog("serving metrics on");

        // Link changes made with the ifconfig grammar: the daemon never sees them, the log must still tell.
        var changed = InNamespace("inet 10.77.0.1/24 mtu 1380 up");
        Assert.True(changed.ExitCode == 0 && changed.StandardError.Length == 0, changed.StandardError);
        WaitForLog("mtu set to 1380");
        WaitForLog("address 10.77.0.1/24 added");
        WaitForLog("link up");

        // A description longer than the 63 bytes kept: applied cut, and said so.
        string peer = TestKeys.Base64(7);
        var described = InNamespace($"wgpeer {peer} wgdescr {new string('d', 300)}");
        Assert.True(described.ExitCode == 0, described.StandardError);
        Assert.Contains($"wgsharp: {_name}: wgdescr: cut to 63 bytes", described.StandardError);

        // -wgpeer of a key that is no peer: nothing to remove, as on OpenBSD, but said — without the whole key.
        var stranger = TestKeys.Make(9);
        var removed = InNamespace($"-wgpeer {stranger.ToBase64()}");
        Assert.True(removed.ExitCode == 0, removed.StandardError);
        Assert.Contains($"-wgpeer {Peer.FormatLogName(stranger)}: not a peer of this interface, nothing removed", removed.StandardError);
        Assert.DoesNotContain(stranger.ToBase64(), removed.StandardError);
        var removedReal = InNamespace($"-wgpeer {peer}");
        Assert.True(removedReal.ExitCode == 0 && removedReal.StandardError.Length == 0, removedReal.StandardError);

        // An mtu below 1280 with only a link-local IPv6 address: Linux turns IPv6 off on the link; say so.
        _ns.Ip("-6", "addr", "add", "fe80::77/64", "dev", _name, "nodad");
        var small = InNamespace("mtu 1000");
        Assert.True(small.ExitCode == 0, small.StandardError);
        Assert.Contains("mtu 1000 is below 1280: Linux turns IPv6 off on the link", small.StandardError);
    }

    [Fact]
    public void ADaemonStartedUnderIpNetnsExecIsFoundFromTheRootNamespaceByEveryCommand()
    {
        var created = InNamespace($"create wgport {FreePorts.Udp().ToString(CultureInfo.InvariantCulture)} 10.78.0.1/24");
        Assert.True(created.ExitCode == 0, created.StandardError);

        var status = WgSharpCli.Run(_name);
        Assert.True(status.ExitCode == 0, status.StandardError);
        Assert.Contains("10.78.0.1", status.StandardOutput);
        var group = WgSharpCli.Run("wg");
        Assert.True(group.ExitCode == 0, group.StandardError);
        Assert.Contains(_name + ":", group.StandardOutput);
        var json = WgSharpCli.Run("show", _name, "json");
        Assert.True(json.ExitCode == 0, json.StandardError);
        // Link changes from the root namespace reach the link where it is.
        WgSharpCli.Ok(_name, "mtu", "1400");
        Assert.Contains("mtu 1400", _ns.Ip("link", "show", "dev", _name).StandardOutput);
    }

    private void WaitForLog(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            string log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
            if (log.Contains(text, StringComparison.Ordinal)) return;
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' not in {LogFile}:\n{log}");
            Thread.Sleep(100);
        }
    }
}
