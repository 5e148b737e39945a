using WgSharp.Configuration;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's experiment knobs from its environment (the library reads none): WGSHARP_GSO_SEGMENTS=1..64,
/// WGSHARP_AEAD=libsodium, WGSHARP_GC_STATS=1 (bench/README.md). Applied first thing, before any socket or key.
/// </summary>
internal static class EnvironmentKnobs
{
    public static void Apply()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("WGSHARP_GSO_SEGMENTS"), out var segments) && segments is >= 1 and <= 64)
            ProcessKnobs.GsoSegments = segments;
        ProcessKnobs.ForceLibsodiumAead = Environment.GetEnvironmentVariable("WGSHARP_AEAD") == "libsodium";
        ProcessKnobs.PrintGcStatsAtExit = Environment.GetEnvironmentVariable("WGSHARP_GC_STATS") == "1";
    }
}
