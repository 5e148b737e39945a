using System.Diagnostics;
using WgSharp.Control.Uapi;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Starts the daemon of one interface the way wireguard-go's launcher does (`wgsharp-go IFNAME`,
/// what wg-quick runs; `wgsharp -f IFNAME` is the foreground form): without -f the daemon
/// re-executes itself detached (new session, stdio on /dev/null unless LOG_LEVEL is set) and the
/// launcher returns once the control socket serves, or reports the child's error and fails.
/// </summary>
internal static class DaemonLauncher
{
    private const string ChildMarker = "WGSHARP_DAEMON_CHILD";

    public static int Launch(string interfaceName, bool foreground)
    {
        if (!Privileges.CanManageInterfaces())
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: {Privileges.Needed}");
            return 1;
        }
        // The detached child is started as `wgsharp -f IFNAME` with the marker: it detaches itself
        // from the launcher's session and terminal, then runs in the foreground of its own.
        if (Environment.GetEnvironmentVariable(ChildMarker) == "1")
        {
            DropCapabilities(interfaceName); // may re-execute this process: before the marker is consumed
            Environment.SetEnvironmentVariable(ChildMarker, null);
            Posix.setsid();
            // Without LOG_LEVEL the daemon is silent, as wireguard-go is: stdin/stdout go to
            // /dev/null before anything touches the console; setup errors still reach the
            // launcher through stderr, which the launcher stops reading once the socket serves.
            if (Logging.Quiet) Posix.DetachStdinStdout();
            return DaemonHost.Run(interfaceName, detached: true);
        }
        // A second daemon for a running interface would fail later, in the child, while the launcher
        // already saw the first one serving and reported success.
        if (UapiSocketProbe.IsServing(UapiProtocol.SocketPathFor(interfaceName)))
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: already running");
            return 1;
        }
        if (foreground || Environment.GetEnvironmentVariable("WG_PROCESS_FOREGROUND") == "1")
        {
            DropCapabilities(interfaceName);
            return DaemonHost.Run(interfaceName);
        }
        return SpawnDetached(interfaceName);
    }

    /// <summary>Only the daemon sheds capabilities (issue 21); the launching command keeps what its caller gave it.</summary>
    private static void DropCapabilities(string interfaceName)
    {
        if (CapabilityDrop.DropAndReexecute() is { } problem) Console.Error.WriteLine($"wgsharp: {interfaceName}: warning: {problem}");
    }

    private static int SpawnDetached(string interfaceName)
    {
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!,
            UseShellExecute = false,
        };
        // When run as `dotnet WgSharp.Cli.dll`, ProcessPath is dotnet and the dll must be passed again. Any other
        // ProcessPath is an executable of ours (apphost, tool shim, NativeAOT binary), whatever its file name.
        string entry = Environment.GetCommandLineArgs()[0];
        if (Path.GetFileNameWithoutExtension(psi.FileName).Equals("dotnet", StringComparison.Ordinal) && entry.EndsWith(".dll", StringComparison.Ordinal))
            psi.ArgumentList.Add(entry);
        psi.ArgumentList.Add("--foreground");
        psi.ArgumentList.Add(interfaceName);
        psi.Environment[ChildMarker] = "1";

        bool quiet = Logging.Quiet;
        psi.RedirectStandardError = quiet;
        // The .NET runtime dup()s the standard descriptors at startup, before the child can point
        // them at /dev/null; given the caller's own pipes, those copies would keep `wgsharp IF | cat`
        // (or wg-quick with captured output) waiting for end-of-file forever. So a quiet child gets
        // pipes of ours, which die with the launcher.
        psi.RedirectStandardInput = quiet;
        psi.RedirectStandardOutput = quiet;
        Posix.MarkInheritedDescriptorsCloseOnExec();
        using var child = Process.Start(psi);
        if (child is null)
        {
            Console.Error.WriteLine("wgsharp: cannot start the daemon process");
            return 1;
        }
        var errors = new System.Text.StringBuilder();
        if (quiet)
        {
            child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
            child.BeginErrorReadLine();
        }
        string socket = UapiProtocol.SocketPathFor(interfaceName);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!child.HasExited && DateTime.UtcNow < deadline && !UapiSocketProbe.IsServing(socket)) Thread.Sleep(20);
        if (child.HasExited)
        {
            child.WaitForExit(); // drain the error reader
            lock (errors) Console.Error.Write(errors.ToString());
            return child.ExitCode == 0 ? 1 : child.ExitCode;
        }
        if (!UapiSocketProbe.IsServing(socket))
        {
            lock (errors) Console.Error.Write(errors.ToString());
            Console.Error.WriteLine($"wgsharp: {interfaceName}: the daemon did not start in time");
            return 1;
        }
        // Where its log went is worth a word only when it is not where an operator looks first, and only to a person:
        // scripts (and wg-quick's callers) keep a quiet stderr, and the file's first line says why it is used.
        if (!Console.IsErrorRedirected && Logging.DetachedLogFallback(interfaceName) is { } logFile)
            Console.Error.WriteLine($"wgsharp: {interfaceName}: no syslog listens on {SyslogLoggerProvider.SocketPath}: the daemon logs to {logFile}");
        return 0;
    }
}
