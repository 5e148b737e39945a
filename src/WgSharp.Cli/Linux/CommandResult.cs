using System.Runtime.Versioning;
namespace WgSharp.Linux;

/// <summary>Outcome of an external command (ip, nft, wg ...).</summary>
[SupportedOSPlatform("linux")]
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Returns this result, or throws with the command line and its stderr when it failed.</summary>
    public CommandResult EnsureSuccess()
    {
        if (!Succeeded)
            throw new InvalidOperationException(
                $"`{CommandLine}` {(TimedOut ? "timed out" : $"exited {ExitCode}")}: {StandardError.Trim()} {StandardOutput.Trim()}".TrimEnd());
        return this;
    }
}
