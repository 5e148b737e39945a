namespace WgSharp.Configuration;

/// <summary>
/// Process-wide knobs for experiments and benchmarks, with the defaults users get. The library never
/// reads the environment: the daemon sets these from its WGSHARP_* variables before it creates anything
/// (src/WgSharp.Cli/Daemon/EnvironmentKnobs.cs); an embedding program sets them, if ever, the same way.
/// </summary>
internal static class ProcessKnobs
{
    private static int s_gsoSegments = 64;

    /// <summary>Most datagrams one UDP segmentation-offload send carries, 1-64 (older kernels allow 64).</summary>
    public static int GsoSegments
    {
        get => s_gsoSegments;
        set => s_gsoSegments = value is >= 1 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(value), "GSO segments must be 1-64");
    }

    /// <summary>All ChaCha20-Poly1305 through libsodium (read once, at the first AEAD use).</summary>
    public static bool ForceLibsodiumAead { get; set; }

    /// <summary>Print garbage collection counts to stderr when the process exits (shows a data path that does not allocate).</summary>
    public static bool PrintGcStatsAtExit { get; set; }
}
