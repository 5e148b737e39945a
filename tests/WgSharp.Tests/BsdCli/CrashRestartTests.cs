using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Tests.Daemon;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// A daemon killed with SIGKILL leaves its socket file behind; nobody answers on it, so it is stale.
/// Everything an operator does next works as on a clean system: create, destroy, status, the
/// launcher, wg-quick, and a supervisor restarting `wgsharp -f IFNAME`.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class CrashRestartTests
{
    [Fact]
    public void AfterACrashStatusSaysNoSuchInterfaceAndCreateWorks()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, name, "create", "wgport", "7461");
            OperatorCli.Crash(ns);
            Assert.True(File.Exists(OperatorCli.SocketOf(name)), "a killed daemon leaves its socket file (the case under test)");

            OperatorCli.AssertNoSuchInterface(OperatorCli.Run(ns, name), name);
            Assert.Empty(OperatorCli.Pids(ns)); // asking for status started nothing

            OperatorCli.Ok(ns, name, "create", "wgport", "7461");
            OperatorCli.AssertRunning(ns, name);
            Assert.Contains("\twgport 7461", OperatorCli.Ok(ns, name).StandardOutput);
            OperatorCli.Ok(ns, name, "destroy");
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void AfterACrashDestroyRemovesTheRemains()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, name, "create");
            OperatorCli.Crash(ns);

            var destroy = OperatorCli.Run(ns, name, "destroy");
            Assert.True(destroy.Succeeded, destroy.StandardError);
            OperatorCli.AssertNothingLeft(ns, name);

            // Nothing is left, so a second destroy is the ordinary error.
            OperatorCli.AssertNoSuchInterface(OperatorCli.Run(ns, name, "destroy"), name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    /// <summary>A TUN link outlives its daemon only when persistent; whoever made it so, a stale socket's link is cleared.</summary>
    [Fact]
    public void AfterACrashALeftoverLinkIsClearedByCreateAndByDestroy()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.Ok(ns, name, "create");
            OperatorCli.Crash(ns);
            Assert.True(OperatorCli.DaemonWait(() => !NetNs.LinkExists(ns.Name, name)), "the kernel kept the dead daemon's link");
            ns.Ip("tuntap", "add", "dev", name, "mode", "tun");
            OperatorCli.Ok(ns, name, "create");
            // The new daemon's link is its own: when it stops, the link goes with it.
            foreach (var pid in OperatorCli.Pids(ns)) CommandRunner.Run("kill", "-TERM", pid);
            Assert.True(OperatorCli.DaemonWait(() => OperatorCli.Pids(ns).Length == 0 && !File.Exists(OperatorCli.SocketOf(name))));
            OperatorCli.AssertNothingLeft(ns, name);

            OperatorCli.Ok(ns, name, "create");
            OperatorCli.Crash(ns);
            Assert.True(OperatorCli.DaemonWait(() => !NetNs.LinkExists(ns.Name, name)), "the kernel kept the dead daemon's link");
            ns.Ip("tuntap", "add", "dev", name, "mode", "tun");
            OperatorCli.Ok(ns, name, "destroy");
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally
        {
            OperatorCli.CleanUp(ns, name);
        }
    }

    [Fact]
    public void AfterACrashTheLauncherStartsADaemon()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            OperatorCli.RunLauncher(ns, [], name).EnsureSuccess();
            OperatorCli.AssertRunning(ns, name);
            OperatorCli.Crash(ns);

            var relaunch = OperatorCli.RunLauncher(ns, [], name);
            Assert.True(relaunch.Succeeded, relaunch.StandardError);
            OperatorCli.AssertRunning(ns, name);
            OperatorCli.Ok(ns, name, "destroy");
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    /// <summary>systemd's Restart=: the same `wgsharp -f IFNAME` started again after the first was killed.</summary>
    [Fact]
    public void AForegroundDaemonRestartedAfterACrashServes()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        try
        {
            var (first, firstLog) = DaemonProcess.Start(ns.Name, ["-f", name]);
            using (first)
            {
                Assert.True(OperatorCli.DaemonWait(() => WgSharpCli.IsServing(name)), firstLog.ToString());
                first.Kill();
                first.WaitForExit();
            }
            Assert.True(File.Exists(OperatorCli.SocketOf(name)));

            var (second, secondLog) = DaemonProcess.Start(ns.Name, ["-f", name]);
            using (second)
            {
                Assert.True(OperatorCli.DaemonWait(() => second.HasExited || WgSharpCli.IsServing(name)), secondLog.ToString());
                Assert.False(second.HasExited, secondLog.ToString());
                OperatorCli.AssertRunning(ns, name);
                CommandRunner.Run("kill", "-TERM", second.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.True(second.WaitForExit(TimeSpan.FromSeconds(10)), secondLog.ToString());
            }
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally { OperatorCli.CleanUp(ns, name); }
    }

    [Fact]
    public void AfterACrashWgQuickUpWorksWithTheLauncher()
    {
        using var ns = NetworkNamespace.Create();
        string name = TestNames.NewInterface();
        string directory = Directory.CreateTempSubdirectory("wgsb-crash-").FullName;
        try
        {
            string conf = Path.Combine(directory, name + ".conf");
            File.WriteAllText(conf, $"[Interface]\nPrivateKey = {KeyGenerator.GeneratePrivateKey().ToBase64()}\nAddress = 10.246.0.1/24\n");
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string[] environment = [$"PATH={OperatorCli.LauncherDirectory}:{Environment.GetEnvironmentVariable("PATH")}", "WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go"];

            OperatorCli.RunLauncher(ns, [], name).EnsureSuccess();
            OperatorCli.Crash(ns);
            // The kernel removes a dead daemon's TUN link a moment after the process is gone; wg-quick refuses
            // an existing link, which is the kernel's business, not the stale socket's this test is about.
            Assert.True(OperatorCli.DaemonWait(() => !NetNs.LinkExists(ns.Name, name)), "the crashed daemon's link stayed");

            var up = ns.Exec("env", environment.Concat(["wg-quick", "up", conf]), TimeSpan.FromSeconds(60));
            Assert.True(up.Succeeded, up.StandardError);
            Assert.Contains("wgsharp-go " + name, up.StandardError);
            OperatorCli.AssertRunning(ns, name);
            var down = ns.Exec("env", environment.Concat(["wg-quick", "down", conf]), TimeSpan.FromSeconds(60));
            Assert.True(down.Succeeded, down.StandardError);
            Assert.True(OperatorCli.DaemonWait(() => OperatorCli.Pids(ns).Length == 0 && !File.Exists(OperatorCli.SocketOf(name))));
            OperatorCli.AssertNothingLeft(ns, name);
        }
        finally
        {
            OperatorCli.CleanUp(ns, name);
            Directory.Delete(directory, recursive: true);
        }
    }
}
