namespace WgSharp.Protocol;

/// <summary>The four WireGuard message types (first byte, little-endian u32 with three zero bytes).</summary>
internal enum MessageType : byte
{
    None = 0,
    HandshakeInitiation = 1,
    HandshakeResponse = 2,
    CookieReply = 3,
    TransportData = 4,
}

/// <summary>Why an incoming message was refused. Returned, never thrown.</summary>
internal enum RejectReason
{
    None = 0,
    TooShort,
    WrongLength,
    UnknownType,
    NonZeroReserved,
    BadMac1,
    BadMac2,
    CookieRequired,
    UnknownPeer,
    DecryptFailed,
    ReplayedTimestamp,
    FloodedInitiation,
    UnknownReceiverIndex,
    WrongHandshakeState,
    NoPrivateKey,
    BadPublicKey,
    ReplayedCounter,
    KeypairExpired,
    CounterLimit,
    /// <summary>Under load, the sender's address used up its budget of handshakes or of cookie replies (HandshakeRateLimiter).</summary>
    RateLimited,
}
