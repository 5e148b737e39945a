using System.Diagnostics;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Daemon;

/// <summary>
/// The wireguard-go compatible launcher: `wgsharp-go IF` detaches and returns once the socket serves;
/// the daemon removes its socket and interface on SIGTERM/SIGINT, when the interface is deleted
/// and when its socket file is removed (how wg-quick down stops a userspace implementation).
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class LauncherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static string SocketOf(string name) => $"/var/run/wireguard/{name}.sock";

    [Fact]
    public void DetachedLauncherReturnsOnceServingAndTheDaemonExitsWhenTheInterfaceIsDeleted()
    {
        using var ns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var clock = Stopwatch.StartNew();
        var result = ns.Exec(BsdCli.OperatorCli.Launcher, [name], TimeSpan.FromSeconds(30));
        Assert.True(result.Succeeded, result.StandardError);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the launcher must not wait for the daemon to end");
        Assert.True(File.Exists(SocketOf(name)));
        Assert.True(NetNs.LinkExists(ns.Name, name));
        Assert.Contains("listening port", ns.Exec("wg", "show", name).StandardOutput);

        ns.Ip("link", "del", name);
        Assert.True(DaemonProcess.WaitUntil(() => !File.Exists(SocketOf(name)), Timeout), "socket left behind");
    }

    [Theory]
    [InlineData("TERM", false)]
    [InlineData("INT", false)]
    // A shell starts `cmd &` with SIGINT ignored; wireguard-go still stops on it, and so must we.
    [InlineData("TERM", true)]
    [InlineData("INT", true)]
    public void ForegroundDaemonCleansUpOnSignal(string signal, bool inheritedIgnored)
    {
        using var ns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var (process, output) = DaemonProcess.Start(ns.Name, ["-f", name], ignoreSignals: inheritedIgnored ? ["INT", "TERM"] : []);
        using (process)
        try
        {
            Assert.True(DaemonProcess.WaitUntil(() => File.Exists(SocketOf(name)), Timeout), output.ToString());
            Assert.True(NetNs.LinkExists(ns.Name, name));
            CommandRunner.Run("kill", "-" + signal, process.Id.ToString());
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), output.ToString());
            Assert.Equal(0, process.ExitCode);
            Assert.False(File.Exists(SocketOf(name)));
            Assert.False(NetNs.LinkExists(ns.Name, name));
        }
        finally
        {
            if (!process.HasExited) process.Kill(); // a daemon that ignored the signal must not outlive the test
        }
    }

    [Fact]
    public void RemovingTheSocketStopsTheDaemonAndRemovesTheInterface()
    {
        using var ns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var (process, output) = DaemonProcess.Start(ns.Name, ["-f", name]);
        using (process)
        {
            Assert.True(DaemonProcess.WaitUntil(() => File.Exists(SocketOf(name)), Timeout), output.ToString());
            File.Delete(SocketOf(name));
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), output.ToString());
            Assert.False(NetNs.LinkExists(ns.Name, name));
        }
    }

    [Fact]
    public void ABadInterfaceNameIsAOneLineErrorAndNothingIsLeftBehind()
    {
        using var ns = NetworkNamespace.Create();
        var result = ns.Exec(DaemonProcess.AppHost, ["-f", "lo"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.StandardError.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("wgsharp: lo:", lines[0]);
        Assert.DoesNotContain("   at ", result.StandardError);
        Assert.False(File.Exists(SocketOf("lo")));
    }
}
