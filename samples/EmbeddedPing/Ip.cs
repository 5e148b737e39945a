using System.Diagnostics;

namespace WgSharp.Samples;

/// <summary>The sample's own tiny `ip` runner: namespaces and addresses are the operator's tools' business, not the library's.</summary>
internal static class Ip
{
    /// <summary>Runs <c>ip ARGS...</c> with its output passed through; returns its exit code.</summary>
    public static int Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run ip");
        process.WaitForExit();
        return process.ExitCode;
    }
}
