namespace WgSharp.Device;

/// <summary>
/// One peer's drop and handshake counters. Each is a field of its own bumped with Interlocked, only on
/// paths that already drop or handshake (never per forwarded packet), so counting costs no lock and no allocation.
/// </summary>
public sealed class PeerCounters
{
    private long _unallowedSource, _invalidInner, _decryptFailed, _replayed, _stagedDropped, _sendErrors,
        _handshakesSent, _handshakesReceived, _handshakesFailed;

    public long UnallowedSource => Interlocked.Read(ref _unallowedSource);
    public long InvalidInnerPacket => Interlocked.Read(ref _invalidInner);
    public long DecryptFailed => Interlocked.Read(ref _decryptFailed);
    public long Replayed => Interlocked.Read(ref _replayed);
    public long StagedDropped => Interlocked.Read(ref _stagedDropped);
    public long SendErrors => Interlocked.Read(ref _sendErrors);
    public long HandshakesSent => Interlocked.Read(ref _handshakesSent);
    public long HandshakesReceived => Interlocked.Read(ref _handshakesReceived);
    public long HandshakesFailed => Interlocked.Read(ref _handshakesFailed);

    internal void CountUnallowedSource() => Interlocked.Increment(ref _unallowedSource);
    internal void CountInvalidInner() => Interlocked.Increment(ref _invalidInner);
    internal void CountDecryptFailed() => Interlocked.Increment(ref _decryptFailed);
    internal void CountReplayed() => Interlocked.Increment(ref _replayed);
    internal void CountStagedDropped(long n) => Interlocked.Add(ref _stagedDropped, n);
    internal void CountSendError() => Interlocked.Increment(ref _sendErrors);
    internal void CountHandshakeSent() => Interlocked.Increment(ref _handshakesSent);
    internal void CountHandshakeReceived() => Interlocked.Increment(ref _handshakesReceived);
    internal void CountHandshakeFailed() => Interlocked.Increment(ref _handshakesFailed);

    /// <summary>Every counter by its <see cref="CounterNames"/> name, in a fixed order (for status, JSON and metrics).</summary>
    public KeyValuePair<string, ulong>[] Snapshot() =>
    [
        new(CounterNames.UnallowedSource, (ulong)UnallowedSource),
        new(CounterNames.InvalidInner, (ulong)InvalidInnerPacket),
        new(CounterNames.DecryptFailed, (ulong)DecryptFailed),
        new(CounterNames.Replayed, (ulong)Replayed),
        new(CounterNames.StagedDropped, (ulong)StagedDropped),
        new(CounterNames.SendErrors, (ulong)SendErrors),
        new(CounterNames.HandshakesSent, (ulong)HandshakesSent),
        new(CounterNames.HandshakesReceived, (ulong)HandshakesReceived),
        new(CounterNames.HandshakesFailed, (ulong)HandshakesFailed),
    ];
}
