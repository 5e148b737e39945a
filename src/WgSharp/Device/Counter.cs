namespace WgSharp.Device;

/// <summary>
/// Every drop and handshake counter a device or a peer keeps, in the order every output shows them (status,
/// JSON, `get=wgsharp`, metrics). Each has one name in <see cref="CounterNames"/>; a <see cref="CounterScope"/>
/// says which of them the interface and a peer keep.
/// </summary>
internal enum Counter
{
    NoRoute,
    UnallowedSource,
    InvalidInner,
    DecryptFailed,
    Replayed,
    UnknownIndex,
    Malformed,
    StagedDropped,
    HandshakeRejected,
    HandshakeQueueFull,
    HandshakeRateLimited,
    CookieRepliesSent,
    SendErrors,
    HandshakesSent,
    HandshakesReceived,
    HandshakesFailed,
}
