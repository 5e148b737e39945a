using System.Diagnostics;

namespace WgSharp.Tests.Uapi;

/// <summary>Runs an external tool (wg, ip) with a timeout and captures its output.</summary>
internal static class ProcessRunner
{
    public readonly record struct Output(int ExitCode, string StdOut, string StdErr);

    public static Output Run(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string arg in args) info.ArgumentList.Add(arg);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new Output(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static Output Wg(params string[] args) => Run("wg", args);

    /// <summary>Runs wg and insists that it succeeded.</summary>
    public static string WgOk(params string[] args)
    {
        var o = Wg(args);
        if (o.ExitCode != 0) throw new InvalidOperationException($"wg {string.Join(' ', args)} failed ({o.ExitCode}): {o.StdErr}");
        return o.StdOut;
    }
}
