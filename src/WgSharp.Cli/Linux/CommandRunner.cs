using System.Runtime.Versioning;
using System.Diagnostics;

namespace WgSharp.Linux;

/// <summary>Runs an external program with arguments passed as a list (never through a shell) and a timeout.</summary>
[SupportedOSPlatform("linux")]
internal static class CommandRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static CommandResult Run(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput != null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var commandLine = string.Join(' ', start.ArgumentList.Prepend(fileName));

        using var process = new Process { StartInfo = start };
        process.Start();
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput != null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        var exited = process.WaitForExit(timeout ?? DefaultTimeout);
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        else
        {
            process.WaitForExit(); // flushes the redirected streams
        }
        return new CommandResult(commandLine, exited ? process.ExitCode : -1, stdout.Result, stderr.Result, !exited);
    }

    public static CommandResult Run(string fileName, params string[] arguments) => Run(fileName, arguments, null);
}
