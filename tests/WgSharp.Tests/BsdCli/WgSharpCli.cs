using System.Diagnostics;
using WgSharp.Control.Uapi;
using WgSharp.Linux;
using WgSharp.Tests.Daemon;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// Runs the real wgsharp CLI (copied next to the test assembly because the test project
/// references the CLI project), as a user would: separate processes, real daemons.
/// </summary>
internal static class WgSharpCli
{
    private static readonly Lazy<string> s_wrapperDirectory = new(CreateWrapperDirectory);

    /// <summary>The program and leading arguments that start wgsharp: the apphost if present, else `dotnet WgSharp.Cli.dll`.</summary>
    public static (string Program, string[] Prefix) Command =>
        File.Exists(DaemonProcess.AppHost) ? (DaemonProcess.AppHost, []) : ("dotnet", [DaemonProcess.EntryAssembly]);

    /// <summary>A directory holding a `wgsharp` script that starts the CLI, for PATH in shell tests.</summary>
    public static string WrapperDirectory => s_wrapperDirectory.Value;

    public static CommandResult Run(params string[] args) => Run(args, null);

    public static CommandResult Run(IEnumerable<string> args, TimeSpan? timeout)
    {
        var (program, prefix) = Command;
        return CommandRunner.Run(program, prefix.Concat(args), timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs `wgsharp ARGS` and throws with its output if it fails.</summary>
    public static CommandResult Ok(params string[] args) => Run(args).EnsureSuccess();

    /// <summary>Runs a /bin/sh script with the wgsharp wrapper first on PATH and extra environment variables.</summary>
    public static CommandResult Shell(string script, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["PATH"] = WrapperDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        if (environment is not null)
            foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout ?? TimeSpan.FromSeconds(90));
        if (!exited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return new CommandResult("sh -c <script>", exited ? process.ExitCode : -1, stdout.Result, stderr.Result, !exited);
    }

    /// <summary>`wg ARGS` from wireguard-tools, which reads /var/run/wireguard/IF.sock like for wireguard-go.</summary>
    public static CommandResult Wg(params string[] args) => CommandRunner.Run("wg", args);

    /// <summary>True once a daemon serves IFNAME's control socket.</summary>
    public static bool IsServing(string interfaceName)
    {
        try
        {
            UapiClient.ForInterface(interfaceName).Get();
            return true;
        }
        catch (Exception e) when (e is IOException or TimeoutException) { return false; }
    }

    /// <summary>
    /// Best-effort removal of test interfaces and rdomain namespaces, whatever state a failed test left:
    /// destroy through the CLI, then delete links and sockets directly.
    /// </summary>
    public static void CleanUp(IEnumerable<string> interfaces, IEnumerable<int> rdomains)
    {
        var rdomainList = rdomains.ToList();
        foreach (var name in interfaces)
        {
            string socket = UapiProtocol.SocketPathFor(name);
            if (File.Exists(socket)) Run([name, "destroy"], TimeSpan.FromSeconds(20));
            IpCommand.Run(null, "link", "del", "dev", name);
            foreach (var rdomain in rdomainList)
                IpCommand.Run($"rdomain{rdomain}", "link", "del", "dev", name);
            if (File.Exists(socket)) File.Delete(socket);
            // A detached test daemon on a host without syslog logs to this file (issue 20): leave nothing behind.
            string log = WgSharp.Cli.Daemon.Logging.DetachedLogFile(name);
            File.Delete(log);
            File.Delete(log + ".old");
        }
        foreach (var rdomain in rdomainList) NetNs.Delete($"rdomain{rdomain}");
    }

    private static string CreateWrapperDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"wgsb-bin-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        var (program, prefix) = Command;
        string quoted = string.Join(' ', prefix.Prepend(program).Select(word => "'" + word.Replace("'", "'\\''") + "'"));
        string path = Path.Combine(directory, "wgsharp");
        File.WriteAllText(path, $"#!/bin/sh\nexec {quoted} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return directory;
    }
}
