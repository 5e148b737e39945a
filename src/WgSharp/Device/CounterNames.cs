namespace WgSharp.Device;

/// <summary>
/// The one list of counter names: the same snake_case name is the `count_NAME` key of `get=wgsharp`, the
/// key in `wgsharp show IF json`, the line in `wgsharp IF verbose` and the metric `wgsharp_NAME_total`.
/// </summary>
internal static class CounterNames
{
    public const string NoRoute = "no_route";
    public const string UnallowedSource = "unallowed_source";
    public const string InvalidInner = "invalid_inner";
    public const string DecryptFailed = "decrypt_failed";
    public const string Replayed = "replayed";
    public const string UnknownIndex = "unknown_index";
    public const string Malformed = "malformed";
    public const string StagedDropped = "staged_dropped";
    public const string HandshakeRejected = "handshake_rejected";
    public const string HandshakeQueueFull = "handshake_queue_full";
    public const string HandshakeRateLimited = "handshake_rate_limited";
    public const string CookieRepliesSent = "cookie_replies_sent";
    public const string SendErrors = "send_errors";
    public const string HandshakesSent = "handshakes_sent";
    public const string HandshakesReceived = "handshakes_received";
    public const string HandshakesFailed = "handshakes_failed";

    /// <summary>The name of <paramref name="counter"/>.</summary>
    public static string Of(Counter counter) => counter switch
    {
        Counter.NoRoute => NoRoute,
        Counter.UnallowedSource => UnallowedSource,
        Counter.InvalidInner => InvalidInner,
        Counter.DecryptFailed => DecryptFailed,
        Counter.Replayed => Replayed,
        Counter.UnknownIndex => UnknownIndex,
        Counter.Malformed => Malformed,
        Counter.StagedDropped => StagedDropped,
        Counter.HandshakeRejected => HandshakeRejected,
        Counter.HandshakeQueueFull => HandshakeQueueFull,
        Counter.HandshakeRateLimited => HandshakeRateLimited,
        Counter.CookieRepliesSent => CookieRepliesSent,
        Counter.SendErrors => SendErrors,
        Counter.HandshakesSent => HandshakesSent,
        Counter.HandshakesReceived => HandshakesReceived,
        Counter.HandshakesFailed => HandshakesFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(counter), counter, null),
    };

    /// <summary>What each counter counts, for metric help text and the documentation.</summary>
    public static string Describe(Counter counter) => counter switch
    {
        Counter.NoRoute => "Packets from the tunnel whose destination is no peer's allowed IP.",
        Counter.UnallowedSource => "Decrypted packets whose source is not an allowed IP of the peer that sent them.",
        Counter.InvalidInner => "Decrypted packets that are not a well-formed IP packet.",
        Counter.DecryptFailed => "Transport messages that failed authentication.",
        Counter.Replayed => "Transport messages with a counter already seen (replay window).",
        Counter.UnknownIndex => "Transport messages for a session index that does not exist (any more).",
        Counter.Malformed => "Datagrams that are no WireGuard message or could not be processed.",
        Counter.StagedDropped => "Packets dropped while waiting for a handshake (queue full, handshake gave up, peer removed).",
        Counter.HandshakeRejected => "Handshake messages refused (bad MAC, unknown peer, replayed timestamp, ...).",
        Counter.HandshakeQueueFull => "Handshake messages dropped because the handshake queue was full.",
        Counter.HandshakeRateLimited => "Handshake messages dropped under load by the per-source rate limit.",
        Counter.CookieRepliesSent => "Cookie replies sent under load.",
        Counter.SendErrors => "Packets or handshake messages that could not be sent (no endpoint, socket error).",
        Counter.HandshakesSent => "Handshake initiations and responses sent.",
        Counter.HandshakesReceived => "Valid handshake initiations and responses received.",
        Counter.HandshakesFailed => "Handshakes given up after 90 seconds of retries.",
        _ => throw new ArgumentOutOfRangeException(nameof(counter), counter, null),
    };
}
