namespace WgSharp.Control.Uapi;

/// <summary>
/// Bounds on what a UAPI client may send. wg(8) lines are at most ~110 bytes; a long line or an
/// endless request is garbage or an attack, and is refused before it can exhaust memory.
/// </summary>
internal static class UapiLimits
{
    /// <summary>Longest accepted line, excluding the newline.</summary>
    public const int MaxLineBytes = 4096;

    /// <summary>Largest accepted `set=1` request body (roughly a million allowed IPs).</summary>
    public const int MaxRequestBytes = 64 * 1024 * 1024;

    /// <summary>How long a started request may take to arrive completely before the client is dropped.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Clients served at the same time; more are turned away.</summary>
    public const int MaxConcurrentClients = 128;
}
