using WgSharp.Control.Uapi;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// The wgsharp CLI as an operator runs it inside a test namespace: `wgsharp ARGS`, the `wgsharp-go`
/// launcher entry (a link to the built apphost, as install.sh makes), and what a command left behind.
/// </summary>
internal static class OperatorCli
{
    private static readonly Lazy<string> s_launcherDirectory = new(CreateLauncherDirectory);

    /// <summary>A directory holding `wgsharp-go`, a symbolic link to the built apphost.</summary>
    public static string LauncherDirectory => s_launcherDirectory.Value;

    public static string Launcher => Path.Combine(LauncherDirectory, "wgsharp-go");

    public static CommandResult Run(NetworkNamespace ns, params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return ns.Exec(program, prefix.Concat(args), TimeSpan.FromSeconds(60));
    }

    public static CommandResult Ok(NetworkNamespace ns, params string[] args) => Run(ns, args).EnsureSuccess();

    /// <summary>`wgsharp ARGS` with extra environment variables ("NAME=VALUE"), through env(1); throws if it fails.</summary>
    public static CommandResult OkWithEnvironment(NetworkNamespace ns, IEnumerable<string> environment, params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return ns.Exec("env", environment.Append(program).Concat(prefix).Concat(args), TimeSpan.FromSeconds(60)).EnsureSuccess();
    }

    /// <summary>`wgsharp-go ARGS` with extra environment variables, through env(1).</summary>
    public static CommandResult RunLauncher(NetworkNamespace ns, IEnumerable<string> environment, params string[] args) =>
        ns.Exec("env", environment.Append(Launcher).Concat(args), TimeSpan.FromSeconds(60));

    public static string SocketOf(string name) => UapiProtocol.SocketPathFor(name);

    /// <summary>The process ids running in the namespace (a daemon is the only thing these tests start there).</summary>
    public static string[] Pids(NetworkNamespace ns) =>
        CommandRunner.Run("ip", "netns", "pids", ns.Name).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Kills every daemon in the namespace with SIGKILL (a crash: nothing is cleaned up) and waits until it is gone.</summary>
    public static void Crash(NetworkNamespace ns)
    {
        foreach (var pid in Pids(ns)) CommandRunner.Run("kill", "-KILL", pid);
        Assert.True(DaemonWait(() => Pids(ns).Length == 0), "the killed daemon is still running");
    }

    /// <summary>Nothing of IFNAME is left: no socket file, no link, no process in the namespace.</summary>
    public static void AssertNothingLeft(NetworkNamespace ns, string name)
    {
        Assert.False(File.Exists(SocketOf(name)), $"{name}'s socket file was left behind");
        Assert.False(NetNs.LinkExists(ns.Name, name), $"{name}'s link was left behind");
        // A daemon removes its socket and link, then its process takes a moment to end.
        Assert.True(DaemonWait(() => Pids(ns).Length == 0), $"a process was left running in {ns.Name}");
    }

    /// <summary>OpenBSD's error for a missing interface, exit status 1, nothing on standard output.</summary>
    public static void AssertNoSuchInterface(CommandResult result, string name)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"wgsharp: {name}: no such interface", result.StandardError.Trim());
        Assert.Equal("", result.StandardOutput);
    }

    /// <summary>A daemon serves IFNAME's socket and its link exists in the namespace.</summary>
    public static void AssertRunning(NetworkNamespace ns, string name)
    {
        Assert.True(WgSharpCli.IsServing(name), $"no daemon serves {name}");
        Assert.True(NetNs.LinkExists(ns.Name, name), $"{name} has no link");
    }

    public static bool DaemonWait(Func<bool> condition) => Daemon.DaemonProcess.WaitUntil(condition, TimeSpan.FromSeconds(15));

    /// <summary>Best-effort removal of what a failed test left: daemons in the namespace, sockets.</summary>
    public static void CleanUp(NetworkNamespace ns, params string[] names)
    {
        foreach (var pid in Pids(ns)) CommandRunner.Run("kill", "-KILL", pid);
        DaemonWait(() => Pids(ns).Length == 0);
        foreach (var name in names)
            if (File.Exists(SocketOf(name)) && !WgSharpCli.IsServing(name)) File.Delete(SocketOf(name));
    }

    private static string CreateLauncherDirectory()
    {
        string directory = Directory.CreateTempSubdirectory("wgsb-launcher-").FullName;
        var (program, prefix) = WgSharpCli.Command;
        string link = Path.Combine(directory, "wgsharp-go");
        if (prefix.Length == 0)
        {
            File.CreateSymbolicLink(link, program);
        }
        else
        {
            // Without an apphost: `dotnet WgSharp.Cli.dll` started under the name wgsharp-go (argv[0]).
            File.WriteAllText(link, $"#!/bin/bash\nexec -a wgsharp-go '{program}' '{prefix[0]}' \"$@\"\n");
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(link, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return directory;
    }
}
