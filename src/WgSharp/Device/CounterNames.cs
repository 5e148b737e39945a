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

    /// <summary>What each counter counts, for metric help text and the documentation.</summary>
    public static string Describe(string name) => name switch
    {
        NoRoute => "Packets from the tunnel whose destination is no peer's allowed IP.",
        UnallowedSource => "Decrypted packets whose source is not an allowed IP of the peer that sent them.",
        InvalidInner => "Decrypted packets that are not a well-formed IP packet.",
        DecryptFailed => "Transport messages that failed authentication.",
        Replayed => "Transport messages with a counter already seen (replay window).",
        UnknownIndex => "Transport messages for a session index that does not exist (any more).",
        Malformed => "Datagrams that are no WireGuard message or could not be processed.",
        StagedDropped => "Packets dropped while waiting for a handshake (queue full, handshake gave up, peer removed).",
        HandshakeRejected => "Handshake messages refused (bad MAC, unknown peer, replayed timestamp, ...).",
        HandshakeQueueFull => "Handshake messages dropped because the handshake queue was full.",
        HandshakeRateLimited => "Handshake messages dropped under load by the per-source rate limit.",
        CookieRepliesSent => "Cookie replies sent under load.",
        SendErrors => "Packets or handshake messages that could not be sent (no endpoint, socket error).",
        HandshakesSent => "Handshake initiations and responses sent.",
        HandshakesReceived => "Valid handshake initiations and responses received.",
        HandshakesFailed => "Handshakes given up after 90 seconds of retries.",
        _ => name,
    };
}
