namespace WgSharp.Device;

/// <summary>
/// Why packets were dropped, and handshakes, counted per device; the overloads that take a peer count for
/// the peer too (<see cref="PeerCounters"/>). Only drop and handshake paths count here, never a forwarded packet.
/// </summary>
internal sealed class DeviceCounters
{
    private long _noRoute, _unallowedSource, _invalidInner, _decryptFailed, _replayed, _unknownIndex,
        _handshakeRejected, _handshakeQueueFull, _handshakeRateLimited, _cookieRepliesSent, _stagedDropped, _sendErrors, _malformed,
        _handshakesSent, _handshakesReceived, _handshakesFailed, _receiveQueueFull;

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
    public long HandshakesSent => Interlocked.Read(ref _handshakesSent);
    public long HandshakesReceived => Interlocked.Read(ref _handshakesReceived);
    public long HandshakesFailed => Interlocked.Read(ref _handshakesFailed);

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

    // The same drops attributed to a peer as well (null: no peer known, the device alone counts it).
    internal void CountUnallowedSource(Peer peer) { CountUnallowedSource(); peer.CountersToUpdate.CountUnallowedSource(); }
    internal void CountInvalidInner(Peer peer) { CountInvalidInner(); peer.CountersToUpdate.CountInvalidInner(); }
    internal void CountDecryptFailed(Peer? peer) { CountDecryptFailed(); peer?.CountersToUpdate.CountDecryptFailed(); }
    internal void CountReplayed(Peer? peer) { CountReplayed(); peer?.CountersToUpdate.CountReplayed(); }
    internal void CountStagedDropped(Peer peer, long n) { CountStagedDropped(n); peer.CountersToUpdate.CountStagedDropped(n); }
    internal void CountSendError(Peer peer) { CountSendError(); peer.CountersToUpdate.CountSendError(); }

    /// <summary>A handshake message (initiation or response) of <paramref name="bytes"/> went out to the peer.</summary>
    internal void CountHandshakeSent(Peer peer, int bytes)
    {
        peer.AddTx(bytes);
        Interlocked.Increment(ref _handshakesSent);
        peer.CountersToUpdate.CountHandshakeSent();
    }

    /// <summary>An authenticated handshake message (initiation or response) of <paramref name="bytes"/> came from the peer.</summary>
    internal void CountHandshakeReceived(Peer peer, int bytes)
    {
        peer.AddRx(bytes); // as wireguard-go and the kernel: authenticated handshake messages count as received
        Interlocked.Increment(ref _handshakesReceived);
        peer.CountersToUpdate.CountHandshakeReceived();
    }

    /// <summary>The peer's handshake gave up after its retries.</summary>
    internal void CountHandshakeFailed(Peer peer) { Interlocked.Increment(ref _handshakesFailed); peer.CountersToUpdate.CountHandshakeFailed(); }

    /// <summary>Every counter by its <see cref="CounterNames"/> name, in a fixed order (for status, JSON and metrics).</summary>
    public KeyValuePair<string, ulong>[] Snapshot() =>
    [
        new(CounterNames.NoRoute, (ulong)NoRoute),
        new(CounterNames.UnallowedSource, (ulong)UnallowedSource),
        new(CounterNames.InvalidInner, (ulong)InvalidInnerPacket),
        new(CounterNames.DecryptFailed, (ulong)DecryptFailed),
        new(CounterNames.Replayed, (ulong)Replayed),
        new(CounterNames.UnknownIndex, (ulong)UnknownIndex),
        new(CounterNames.Malformed, (ulong)Malformed),
        new(CounterNames.StagedDropped, (ulong)StagedDropped),
        new(CounterNames.HandshakeRejected, (ulong)HandshakeRejected),
        new(CounterNames.HandshakeQueueFull, (ulong)HandshakeQueueFull),
        new(CounterNames.HandshakeRateLimited, (ulong)HandshakeRateLimited),
        new(CounterNames.CookieRepliesSent, (ulong)CookieRepliesSent),
        new(CounterNames.SendErrors, (ulong)SendErrors),
        new(CounterNames.HandshakesSent, (ulong)HandshakesSent),
        new(CounterNames.HandshakesReceived, (ulong)HandshakesReceived),
        new(CounterNames.HandshakesFailed, (ulong)HandshakesFailed),
    ];

    public override string ToString() =>
        $"noroute={NoRoute} unallowed_src={UnallowedSource} invalid_inner={InvalidInnerPacket} decrypt_failed={DecryptFailed} " +
        $"replayed={Replayed} unknown_index={UnknownIndex} handshake_rejected={HandshakeRejected} " +
        $"handshake_queue_full={HandshakeQueueFull} handshake_rate_limited={HandshakeRateLimited} cookie_replies={CookieRepliesSent} staged_dropped={StagedDropped} " +
        $"send_errors={SendErrors} malformed={Malformed} receive_queue_full={ReceiveQueueFull} handshakes_sent={HandshakesSent} handshakes_received={HandshakesReceived} handshakes_failed={HandshakesFailed}";
}
