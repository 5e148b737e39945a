namespace WgSharp.Tests.Robustness;

/// <summary>
/// CI runs the short versions of the robustness tests; the scripts (bench/soak.sh, bench/robustness-long.sh)
/// set WGSHARP_LONG=1 to get the full sizes and durations.
/// </summary>
public static class LongRun
{
    public static bool Enabled => Environment.GetEnvironmentVariable("WGSHARP_LONG") == "1";

    public static T Pick<T>(T ci, T full) => Enabled ? full : ci;
}
