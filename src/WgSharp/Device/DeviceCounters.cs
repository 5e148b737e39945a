namespace WgSharp.Device;

/// <summary>
/// Why packets were dropped, and handshakes, counted per device (a <see cref="CounterSet"/> of
/// <see cref="CounterScope.Device"/>); the overloads that take a peer count for the peer too
/// (<see cref="Peer.Counters"/>). Only drop and handshake paths count here, never a forwarded packet.
/// </summary>
internal sealed class DeviceCounters : IO.ITunnelDrops
{
    private readonly CounterSet _counters = new(CounterScope.Device);
    private long _receiveQueueFull; // not a named counter: shown by ToString only, in no status or metric

    /// <summary>The value of <paramref name="counter"/>, read now.</summary>
    public long this[Counter counter] => _counters[counter];

    /// <summary>Received datagrams dropped because the device was shutting down while they waited for their peer's receive queue.</summary>
    public long ReceiveQueueFull => Interlocked.Read(ref _receiveQueueFull);

    internal void CountNoRoute() => _counters.Increment(Counter.NoRoute);
    internal void CountUnallowedSource() => _counters.Increment(Counter.UnallowedSource);
    internal void CountInvalidInner() => _counters.Increment(Counter.InvalidInner);
    internal void CountDecryptFailed() => _counters.Increment(Counter.DecryptFailed);
    internal void CountReplayed() => _counters.Increment(Counter.Replayed);
    internal void CountUnknownIndex() => _counters.Increment(Counter.UnknownIndex);
    internal void CountHandshakeRejected() => _counters.Increment(Counter.HandshakeRejected);
    internal void CountHandshakeQueueFull() => _counters.Increment(Counter.HandshakeQueueFull);
    /// <summary>A handshake message dropped under load because its source used up its budget (of Diffie-Hellman work with a valid mac2, or of cookie replies without).</summary>
    internal void CountHandshakeRateLimited() => _counters.Increment(Counter.HandshakeRateLimited);
    internal void CountCookieReplySent() => _counters.Increment(Counter.CookieRepliesSent);
    internal void CountStagedDropped(long n) => _counters.Add(Counter.StagedDropped, n);
    public void CountSendError() => _counters.Increment(Counter.SendErrors);
    public void CountMalformed() => _counters.Increment(Counter.Malformed);
    internal void CountReceiveQueueFull(long n) => Interlocked.Add(ref _receiveQueueFull, n);

    // The same drops attributed to a peer as well (null: no peer known, the device alone counts it).
    internal void CountUnallowedSource(Peer peer) => CountFor(peer, Counter.UnallowedSource);
    internal void CountInvalidInner(Peer peer) => CountFor(peer, Counter.InvalidInner);
    internal void CountDecryptFailed(Peer? peer) => CountFor(peer, Counter.DecryptFailed);
    internal void CountReplayed(Peer? peer) => CountFor(peer, Counter.Replayed);
    internal void CountStagedDropped(Peer peer, long n) => CountFor(peer, Counter.StagedDropped, n);
    internal void CountSendError(Peer peer) => CountFor(peer, Counter.SendErrors);

    /// <summary>A handshake message (initiation or response) of <paramref name="bytes"/> went out to the peer.</summary>
    internal void CountHandshakeSent(Peer peer, int bytes)
    {
        peer.AddTx(bytes);
        CountFor(peer, Counter.HandshakesSent);
    }

    /// <summary>An authenticated handshake message (initiation or response) of <paramref name="bytes"/> came from the peer.</summary>
    internal void CountHandshakeReceived(Peer peer, int bytes)
    {
        peer.AddRx(bytes); // as wireguard-go and the kernel: authenticated handshake messages count as received
        CountFor(peer, Counter.HandshakesReceived);
    }

    /// <summary>The peer's handshake gave up after its retries.</summary>
    internal void CountHandshakeFailed(Peer peer) => CountFor(peer, Counter.HandshakesFailed);

    private void CountFor(Peer? peer, Counter counter, long n = 1)
    {
        _counters.Add(counter, n);
        peer?.CountersToUpdate.Add(counter, n);
    }

    /// <summary>Every counter by its <see cref="CounterNames"/> name, in a fixed order (for status, JSON and metrics), copied now.</summary>
    public KeyValuePair<string, ulong>[] Snapshot() => _counters.Snapshot();

    public override string ToString() => $"{_counters} receive_queue_full={ReceiveQueueFull}";
}
