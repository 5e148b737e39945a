using System.Diagnostics;
using WgSharp.Control.Uapi;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// `wgsharp [-f|--foreground] IFNAME`, compatible with wireguard-go's launcher so wg-quick can use
/// it: without -f the daemon re-executes itself detached (new session, stdio on /dev/null unless
/// LOG_LEVEL is set) and the launcher returns once the control socket serves, or reports the
/// child's error and fails.
/// </summary>
internal static class DaemonLauncher
{
    private const string ChildMarker = "WGSHARP_DAEMON_CHILD";

    public static int Launch(string interfaceName, bool foreground)
    {
        if (foreground || Environment.GetEnvironmentVariable("WG_PROCESS_FOREGROUND") == "1")
            return DaemonHost.Run(interfaceName);

        if (Environment.GetEnvironmentVariable(ChildMarker) == "1")
        {
            Posix.setsid();
            bool keepOutput = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LOG_LEVEL"));
            // Errors during setup still reach the launcher through the inherited stderr pipe;
            // once serving, the daemon lets go of it so the launcher sees end-of-file.
            return DaemonHost.Run(interfaceName, onReady: () => { if (!keepOutput) Posix.DetachStdio(); else Console.Error.Close(); });
        }
        return SpawnDetached(interfaceName);
    }

    private static int SpawnDetached(string interfaceName)
    {
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!,
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        // When run as `dotnet wgsharp.dll`, ProcessPath is dotnet and the dll must be passed again.
        string entry = Environment.GetCommandLineArgs()[0];
        if (!Path.GetFileNameWithoutExtension(psi.FileName).Equals("wgsharp", StringComparison.Ordinal) && entry.EndsWith(".dll", StringComparison.Ordinal))
            psi.ArgumentList.Add(entry);
        psi.ArgumentList.Add(interfaceName);
        psi.Environment[ChildMarker] = "1";

        using var child = Process.Start(psi);
        if (child is null)
        {
            Console.Error.WriteLine("wgsharp: cannot start the daemon process");
            return 1;
        }
        // Read the child's stderr until it lets go of it (ready) or exits (failed).
        string errors = child.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(
            t => t.IsCompletedSuccessfully ? t.Result : "").GetAwaiter().GetResult();
        if (child.WaitForExit(200))
        {
            Console.Error.Write(errors);
            return child.ExitCode == 0 ? 1 : child.ExitCode;
        }
        string socket = UapiProtocol.SocketPathFor(interfaceName);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socket) && DateTime.UtcNow < deadline && !child.HasExited) Thread.Sleep(20);
        if (!File.Exists(socket))
        {
            Console.Error.Write(errors);
            Console.Error.WriteLine($"wgsharp: {interfaceName}: the daemon did not start");
            return 1;
        }
        if (errors.Length > 0) Console.Error.Write(errors);
        return 0;
    }
}
