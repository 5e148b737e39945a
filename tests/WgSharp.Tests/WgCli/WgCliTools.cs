using System.Net.Sockets;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp.Tests.WgCli;

/// <summary>
/// Runs the wgsharp CLI built next to the test assembly, the real wg/wg-quick, and commands inside
/// test namespaces; creates and sweeps the wgsw-* namespaces these tests own.
/// </summary>
internal static class WgCliTools
{
    public static string BinDirectory => AppContext.BaseDirectory;
    public static string Wgsharp => Daemon.DaemonProcess.AppHost;

    public static CommandResult RunWgsharp(params string[] args) => CommandRunner.Run(Wgsharp, args, TimeSpan.FromSeconds(30));

    public static CommandResult RunWg(params string[] args) => CommandRunner.Run("wg", args, TimeSpan.FromSeconds(30));

    /// <summary>Runs a program inside a namespace with extra environment variables (through env(1)).</summary>
    public static CommandResult InNamespace(string netns, IEnumerable<string> environment, string program, params string[] args) =>
        CommandRunner.Run("ip", new[] { "netns", "exec", netns, "env" }.Concat(environment).Append(program).Concat(args), TimeSpan.FromSeconds(30));

    public static CommandResult InNamespace(string netns, string program, params string[] args) =>
        InNamespace(netns, [], program, args);

    /// <summary>Creates a fresh namespace (deleting a leftover one of the same name first), loopback up.</summary>
    public static string CreateNamespace(string name)
    {
        TestTiers.RequireRoot("a network namespace");
        DeleteNamespace(name);
        NetNs.Create(name);
        return name;
    }

    /// <summary>
    /// Stops the processes still running in the namespace (daemons a failed test left, such as the
    /// one wg-quick detached), then deletes it: a namespace outlives its deletion while a process is in it.
    /// </summary>
    public static void DeleteNamespace(string name)
    {
        if (!NetNs.Exists(name)) return;
        foreach (string pid in CommandRunner.Run("ip", "netns", "pids", name).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            CommandRunner.Run("kill", "-TERM", pid.Trim());
        WaitUntil(() => CommandRunner.Run("ip", "netns", "pids", name).StandardOutput.Trim().Length == 0, TimeSpan.FromSeconds(5), $"processes in {name} to end", throwOnTimeout: false);
        foreach (string pid in CommandRunner.Run("ip", "netns", "pids", name).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            CommandRunner.Run("kill", "-KILL", pid.Trim());
        try { NetNs.Delete(name); }
        catch (InvalidOperationException) { }
    }

    public static string SocketPath(string interfaceName) => UapiProtocol.SocketPathFor(interfaceName);

    public static bool IsServing(string interfaceName)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath(interfaceName)));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Removes a socket file left by a daemon that died (nobody listens on it any more).</summary>
    public static void RemoveStaleSocket(string interfaceName)
    {
        if (File.Exists(SocketPath(interfaceName)) && !IsServing(interfaceName)) File.Delete(SocketPath(interfaceName));
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout, string what, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return throwOnTimeout ? throw new TimeoutException($"timed out waiting for {what}") : false;
            Thread.Sleep(25);
        }
        return true;
    }

    /// <summary>
    /// A dump with the values that change by themselves (latest handshake, rx, tx) blanked, and
    /// optionally the listen port; lines of other interfaces in `show all dump` dropped.
    /// </summary>
    public static string StableDump(string dump, string? onlyInterface = null, bool blankListenPort = false)
    {
        var lines = new List<string>();
        foreach (string line in dump.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            int offset = 0;
            if (onlyInterface is not null)
            {
                if (fields[0] != onlyInterface) continue;
                offset = 1;
            }
            if (fields.Length - offset == 8)
            {
                fields[offset + 4] = "H";
                fields[offset + 5] = "RX";
                fields[offset + 6] = "TX";
            }
            else if (fields.Length - offset == 4 && blankListenPort)
            {
                fields[offset + 2] = "PORT";
            }
            lines.Add(string.Join('\t', fields));
        }
        return string.Join('\n', lines) + "\n";
    }
}
