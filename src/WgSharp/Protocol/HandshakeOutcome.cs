namespace WgSharp.Protocol;

/// <summary>What processing an incoming handshake-type message led to.</summary>
internal enum HandshakeOutcome
{
    Rejected,
    /// <summary>We are under load and the sender lacked a valid mac2: a cookie reply was written.</summary>
    CookieReplyWritten,
    /// <summary>A valid initiation: a response was written and a "next" session derived.</summary>
    ResponseWritten,
    /// <summary>A valid response to our initiation: a new current session exists; send queued packets or a keepalive.</summary>
    SessionEstablished,
    /// <summary>A cookie reply was accepted; the next initiation will carry mac2.</summary>
    CookieConsumed,
}

/// <summary>Result of <see cref="ProtocolEngine{TOwner}.ProcessHandshake"/>.</summary>
internal readonly record struct HandshakeResult<TOwner>(HandshakeOutcome Outcome, RejectReason Reason, ProtocolPeer<TOwner>? Peer, int ReplyLength)
    where TOwner : class
{
    public static HandshakeResult<TOwner> Reject(RejectReason reason, ProtocolPeer<TOwner>? peer = null) => new(HandshakeOutcome.Rejected, reason, peer, 0);
}

/// <summary>Result of <see cref="ProtocolEngine{TOwner}.LookupTransport"/>: the peer, keypair and plaintext length, or why the message was refused.</summary>
internal readonly record struct TransportResult<TOwner>(RejectReason Reason, ProtocolPeer<TOwner>? Peer, Transport.Keypair? Keypair, int PlaintextLength)
    where TOwner : class
{
    public bool IsOk => Reason == RejectReason.None;
    public bool IsKeepalive => IsOk && PlaintextLength == 0;
}
