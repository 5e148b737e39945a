using System.Diagnostics;
using System.Text;
using WgSharp.Linux;
using WgSharp.Tests.Daemon;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The real daemon (`dotnet WgSharp.Cli.dll -f IF`) as a child process inside a test namespace, so tests can
/// kill -9 it, restart it and watch its resources in /proc. Configured with the real `wg` over its socket.
/// </summary>
internal sealed class WgSharpDaemon : IDisposable
{
    public const string SocketDirectory = "/var/run/wireguard";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WgSharpDaemon(NetworkNamespace netns, string interfaceName, Process process)
    {
        Namespace = netns;
        InterfaceName = interfaceName;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public NetworkNamespace Namespace { get; }
    public string InterfaceName { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public string SocketPath => Path.Combine(SocketDirectory, InterfaceName + ".sock");
    public string Output { get { lock (_output) return _output.ToString(); } }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Starts the daemon for <paramref name="interfaceName"/> and waits until its control socket answers.</summary>
    public static WgSharpDaemon Start(NetworkNamespace netns, string interfaceName, double timeScale = 1.0, bool debug = true)
    {
        var dll = DaemonProcess.EntryAssembly;
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "netns", "exec", netns.Name, "dotnet", dll, "-f", interfaceName })
            info.ArgumentList.Add(argument);
        if (debug) info.Environment["LOG_LEVEL"] = "debug";
        if (timeScale != 1.0) info.Environment["WGSHARP_TIME_SCALE"] = timeScale.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var daemon = new WgSharpDaemon(netns, interfaceName, Process.Start(info)!);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (daemon.HasExited) throw new InvalidOperationException($"wgsharp exited early:\n{daemon.Output}");
            if (File.Exists(daemon.SocketPath) && netns.Exec("wg", "show", interfaceName, "public-key").ExitCode == 0)
                return daemon;
            Thread.Sleep(50);
        }
        daemon.Dispose();
        throw new TimeoutException($"wgsharp did not open {daemon.SocketPath}:\n{daemon.Output}");
    }

    public CommandResult Wg(params string[] arguments) => Namespace.Exec("wg", arguments, null).EnsureSuccess();

    public CommandResult Wg(IEnumerable<string> arguments, string? standardInput) => Namespace.Exec("wg", arguments, null, standardInput).EnsureSuccess();

    public void AddAddressAndUp(string prefix)
    {
        Namespace.Ip("addr", "add", prefix, "dev", InterfaceName);
        Namespace.Ip("link", "set", InterfaceName, "up");
    }

    /// <summary>SIGKILL: no clean-up at all (the socket file is left behind, the TUN goes with the process).</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>Resident set size, open descriptors and threads, from /proc.</summary>
    public ProcessSample Sample() => ProcessSample.Of(ProcessId);

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
        if (File.Exists(SocketPath)) File.Delete(SocketPath);
    }
}
