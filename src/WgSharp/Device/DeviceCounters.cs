namespace WgSharp.Device;

/// <summary>Why packets were dropped, counted per device (shown by tests and diagnostics).</summary>
internal sealed class DeviceCounters
{
    private long _noRoute, _unallowedSource, _invalidInner, _decryptFailed, _replayed, _unknownIndex,
        _handshakeRejected, _handshakeQueueFull, _handshakeRateLimited, _cookieRepliesSent, _stagedDropped, _sendErrors, _malformed, _receiveQueueFull;

    public long NoRoute => Interlocked.Read(ref _noRoute);
    public long UnallowedSource => Interlocked.Read(ref _unallowedSource);
    public long InvalidInnerPacket => Interlocked.Read(ref _invalidInner);
    public long DecryptFailed => Interlocked.Read(ref _decryptFailed);
    public long Replayed => Interlocked.Read(ref _replayed);
    public long UnknownIndex => Interlocked.Read(ref _unknownIndex);
    public long HandshakeRejected => Interlocked.Read(ref _handshakeRejected);
    public long HandshakeQueueFull => Interlocked.Read(ref _handshakeQueueFull);
    /// <summary>Handshake messages dropped under load because their source used up its budget (of Diffie-Hellman work with a valid mac2, or of cookie replies without).</summary>
    public long HandshakeRateLimited => Interlocked.Read(ref _handshakeRateLimited);
    public long CookieRepliesSent => Interlocked.Read(ref _cookieRepliesSent);
    public long StagedDropped => Interlocked.Read(ref _stagedDropped);
    public long SendErrors => Interlocked.Read(ref _sendErrors);
    public long Malformed => Interlocked.Read(ref _malformed);
    /// <summary>Received datagrams dropped because the device was shutting down while they waited for their peer's receive queue.</summary>
    public long ReceiveQueueFull => Interlocked.Read(ref _receiveQueueFull);

    internal void CountNoRoute() => Interlocked.Increment(ref _noRoute);
    internal void CountUnallowedSource() => Interlocked.Increment(ref _unallowedSource);
    internal void CountInvalidInner() => Interlocked.Increment(ref _invalidInner);
    internal void CountDecryptFailed() => Interlocked.Increment(ref _decryptFailed);
    internal void CountReplayed() => Interlocked.Increment(ref _replayed);
    internal void CountUnknownIndex() => Interlocked.Increment(ref _unknownIndex);
    internal void CountHandshakeRejected() => Interlocked.Increment(ref _handshakeRejected);
    internal void CountHandshakeQueueFull() => Interlocked.Increment(ref _handshakeQueueFull);
    internal void CountHandshakeRateLimited() => Interlocked.Increment(ref _handshakeRateLimited);
    internal void CountCookieReplySent() => Interlocked.Increment(ref _cookieRepliesSent);
    internal void CountStagedDropped(long n) => Interlocked.Add(ref _stagedDropped, n);
    internal void CountSendError() => Interlocked.Increment(ref _sendErrors);
    internal void CountMalformed() => Interlocked.Increment(ref _malformed);
    internal void CountReceiveQueueFull(long n) => Interlocked.Add(ref _receiveQueueFull, n);

    public override string ToString() =>
        $"noroute={NoRoute} unallowed_src={UnallowedSource} invalid_inner={InvalidInnerPacket} decrypt_failed={DecryptFailed} " +
        $"replayed={Replayed} unknown_index={UnknownIndex} handshake_rejected={HandshakeRejected} " +
        $"handshake_queue_full={HandshakeQueueFull} handshake_rate_limited={HandshakeRateLimited} cookie_replies={CookieRepliesSent} staged_dropped={StagedDropped} " +
        $"send_errors={SendErrors} malformed={Malformed} receive_queue_full={ReceiveQueueFull}";
}
