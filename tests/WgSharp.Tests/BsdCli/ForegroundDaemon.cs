using System.Diagnostics;
using System.Text;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// `wgsharp -f IFNAME` run in the background with its log captured, so tests can wait for the
/// manual's debug messages. WGSHARP_TIME_SCALE speeds the protocol timers up.
/// </summary>
public sealed class ForegroundDaemon : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public ForegroundDaemon(string interfaceName, double timeScale = 10, IReadOnlyDictionary<string, string>? environment = null)
    {
        InterfaceName = interfaceName;
        var (program, prefix) = WgSharpCli.Command;
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in prefix) start.ArgumentList.Add(word);
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add(interfaceName);
        start.Environment["WGSHARP_TIME_SCALE"] = timeScale.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment.Remove("LOG_LEVEL"); // debug output must come from the `debug` option
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!WgSharpCli.IsServing(interfaceName))
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
                throw new InvalidOperationException($"daemon for {interfaceName} did not start:\n{Log}");
            Thread.Sleep(20);
        }
    }

    public string InterfaceName { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Waits until the log contains <paramref name="text"/>; false on timeout.</summary>
    public bool WaitForLog(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Log.Contains(text, StringComparison.Ordinal)) return true;
            Thread.Sleep(50);
        }
        return Log.Contains(text, StringComparison.Ordinal);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) WgSharpCli.Run([InterfaceName, "destroy"], TimeSpan.FromSeconds(15));
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
