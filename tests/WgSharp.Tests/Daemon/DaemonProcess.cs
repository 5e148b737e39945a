using System.Diagnostics;
using System.Text;

namespace WgSharp.Tests.Daemon;

/// <summary>Runs the real `wgsharp` executable that the build placed next to the test assembly.</summary>
public static class DaemonProcess
{
    /// <summary>
    /// The CLI's apphost as built. Its assembly is WgSharp.Cli and so is the apphost: only `dotnet publish` (so
    /// install.sh) names the executable `wgsharp`, and the .NET tool's command is `wgsharp`.
    /// </summary>
    public static string AppHost => Path.Combine(AppContext.BaseDirectory, "WgSharp.Cli");

    /// <summary>The CLI's assembly, for `dotnet WgSharp.Cli.dll ARGS`.</summary>
    public static string EntryAssembly => Path.Combine(AppContext.BaseDirectory, "WgSharp.Cli.dll");

    /// <summary>
    /// Starts `ip netns exec NS wgsharp ARGS...` with captured output (the process is wgsharp itself, as
    /// `ip netns exec` and `sh -c 'exec ...'` both exec). ignoreSignals are set to SIG_IGN before the exec,
    /// as a shell does for a background job.
    /// </summary>
    public static (Process Process, StringBuilder Output) Start(string netns, IEnumerable<string> args,
        IDictionary<string, string>? env = null, IReadOnlyList<string>? ignoreSignals = null)
    {
        TestTiers.RequireRoot("a daemon in a network namespace");
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var trap = ignoreSignals is { Count: > 0 } ? $"trap '' {string.Join(' ', ignoreSignals)}; " : "";
        foreach (var a in new[] { "-c", trap + "exec \"$@\"", "sh", "ip", "netns", "exec", netns, AppHost }.Concat(args)) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var output = new StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(25);
        }
        return condition();
    }
}
