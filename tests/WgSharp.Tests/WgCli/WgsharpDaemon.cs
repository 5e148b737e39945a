using System.Diagnostics;
using System.Globalization;
using System.Text;
using WgSharp.Linux;

namespace WgSharp.Tests.WgCli;

/// <summary>`wgsharp -f IFNAME` run in the background inside a namespace; Dispose stops it (SIGTERM, then kill).</summary>
internal sealed class WgsharpDaemon : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WgsharpDaemon(string interfaceName, Process process)
    {
        InterfaceName = interfaceName;
        _process = process;
    }

    public string InterfaceName { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static WgsharpDaemon Start(string netns, string interfaceName)
    {
        WgCliTools.RemoveStaleSocket(interfaceName);
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // `ip netns exec` execs the program, so the process held here is the daemon itself.
        foreach (string argument in new[] { "netns", "exec", netns, WgCliTools.Wgsharp, "-f", interfaceName })
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start };
        var daemon = new WgsharpDaemon(interfaceName, process);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            WgCliTools.WaitUntil(() => process.HasExited || WgCliTools.IsServing(interfaceName), TimeSpan.FromSeconds(15), $"{interfaceName}'s socket");
            if (process.HasExited) throw new InvalidOperationException($"wgsharp -f {interfaceName} exited: {daemon.Log}");
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                CommandRunner.Run("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
                if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException)
        {
            // already reaped
        }
        finally
        {
            _process.Dispose();
            WgCliTools.RemoveStaleSocket(InterfaceName);
        }
    }
}
