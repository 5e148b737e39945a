using System.Globalization;
using WgSharp.Crypto;
using WgSharp.Device;
using WgSharp.Linux;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's knobs from its environment, all read here (the library reads none): the experiment knobs
/// WGSHARP_GSO_SEGMENTS=1..64 (<see cref="GsoSegments"/>, given to the transport factory), WGSHARP_AEAD=libsodium
/// (an AppContext switch, set first thing, before any key) and WGSHARP_GC_STATS=1 (<see cref="GcStats"/>), all in
/// bench/README.md; and the device's options.
/// </summary>
internal static class EnvironmentKnobs
{
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable("WGSHARP_AEAD") == "libsodium")
            AppContext.SetSwitch(OpenSslChaChaPoly.ForceLibsodiumSwitch, true);
    }

    /// <summary>Datagrams per UDP GSO send: WGSHARP_GSO_SEGMENTS when 1..64, else the library's default.</summary>
    public static int GsoSegments =>
        int.TryParse(Environment.GetEnvironmentVariable("WGSHARP_GSO_SEGMENTS"), out var segments) && segments is >= 1 and <= UdpTransport.DefaultMaxSegments
            ? segments : UdpTransport.DefaultMaxSegments;

    /// <summary>Whether the daemon prints its garbage collection counts when it exits (WGSHARP_GC_STATS=1).</summary>
    public static bool PrintGcStats => Environment.GetEnvironmentVariable("WGSHARP_GC_STATS") == "1";

    /// <summary>
    /// The file whose presence beside the program lets it honour the test-only knobs (WGSHARP_TIME_SCALE,
    /// WGSHARP_FORCE_UNDER_LOAD, WGSHARP_HOSTNAME_DIR). Only the test project's output has it: a shipped daemon
    /// ignores a stray variable that would make its timers run 30 times faster or send cookies to every peer.
    /// </summary>
    public const string TestKnobsMarker = "wgsharp-test-knobs";

    /// <summary>Whether a program started from <paramref name="baseDirectory"/> honours the test-only knobs.</summary>
    internal static bool TestKnobsAllowed(string baseDirectory) => File.Exists(Path.Combine(baseDirectory, TestKnobsMarker));

    /// <summary>A test-only knob's value, or null when unset or this is not a test build's output.</summary>
    public static string? TestKnob(string name) => TestKnob(name, Environment.GetEnvironmentVariable, AppContext.BaseDirectory);

    internal static string? TestKnob(string name, Func<string, string?> environment, string baseDirectory) =>
        environment(name) is { Length: > 0 } value && TestKnobsAllowed(baseDirectory) ? value : null;

    /// <summary>The device's options: WGSHARP_TIME_SCALE (≥ 1, tests only), WGSHARP_CRYPTO_THREADS (1..1024),
    /// WGSHARP_FORCE_UNDER_LOAD=1 (tests only), WGSHARP_OFFLOADS=0, and debug as LOG_LEVEL asks (<see cref="Logging"/>).</summary>
    public static DeviceOptions ForDevice() => ForDevice(Environment.GetEnvironmentVariable, AppContext.BaseDirectory);

    internal static DeviceOptions ForDevice(Func<string, string?> environment, string baseDirectory)
    {
        double scale = 1.0;
        if (TestKnob("WGSHARP_TIME_SCALE", environment, baseDirectory) is { } s &&
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1.0)
            scale = parsed;
        // Crypto threads (1 = all inline on the readers); unset or out of range: the machine-sized default.
        int cryptoThreads = 0;
        if (environment("WGSHARP_CRYPTO_THREADS") is { Length: > 0 } t &&
            int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var threads) && threads is >= 1 and <= 1024)
            cryptoThreads = threads;
        return new DeviceOptions
        {
            TimeProvider = scale > 1.0 ? new ScaledTimeProvider(scale) : TimeProvider.System,
            Debug = Logging.DebugRequested,
            UnderLoadQueueLength = TestKnob("WGSHARP_FORCE_UNDER_LOAD", environment, baseDirectory) == "1" ? 0 : -1,
            Offloads = environment("WGSHARP_OFFLOADS") != "0",
            CryptoThreads = cryptoThreads,
        };
    }
}
