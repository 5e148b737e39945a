using System.Globalization;
using WgSharp.Configuration;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's knobs from its environment, all read here (the library reads none): the process-wide experiment
/// knobs WGSHARP_GSO_SEGMENTS=1..64, WGSHARP_AEAD=libsodium, WGSHARP_GC_STATS=1 (bench/README.md), applied first
/// thing, before any socket or key; and the device's options.
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

    /// <summary>The device's options: WGSHARP_TIME_SCALE (≥ 1), WGSHARP_CRYPTO_THREADS (1..1024),
    /// WGSHARP_FORCE_UNDER_LOAD=1, WGSHARP_OFFLOADS=0, and debug as LOG_LEVEL asks (<see cref="Logging"/>).</summary>
    public static DeviceOptions ForDevice()
    {
        double scale = 1.0;
        if (Environment.GetEnvironmentVariable("WGSHARP_TIME_SCALE") is { Length: > 0 } s &&
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1.0)
            scale = parsed;
        // Crypto threads (1 = all inline on the readers); unset or out of range: the machine-sized default.
        int cryptoThreads = 0;
        if (Environment.GetEnvironmentVariable("WGSHARP_CRYPTO_THREADS") is { Length: > 0 } t &&
            int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var threads) && threads is >= 1 and <= 1024)
            cryptoThreads = threads;
        return new DeviceOptions
        {
            TimeScale = scale,
            Debug = Logging.DebugRequested,
            ForceUnderLoad = Environment.GetEnvironmentVariable("WGSHARP_FORCE_UNDER_LOAD") == "1",
            Offloads = Environment.GetEnvironmentVariable("WGSHARP_OFFLOADS") != "0",
            CryptoThreads = cryptoThreads,
        };
    }
}
