namespace WgSharp.Device;

/// <summary>
/// One peer's drop and handshake counters. Each is a field of its own bumped with Interlocked, only on
/// paths that already drop or handshake (never per forwarded packet), so counting costs no lock and no allocation.
/// As a list it is a live view by <see cref="CounterNames"/> name: a status snapshot of 100,000 peers refers
/// to it instead of copying nine counters per peer.
/// </summary>
internal sealed class PeerCounters : IReadOnlyList<KeyValuePair<string, ulong>>
{
    /// <summary>What a peer that never dropped or handshook reads: all zero, never counted into.</summary>
    public static PeerCounters None { get; } = new();

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

    private static readonly string[] Names =
    [
        CounterNames.UnallowedSource, CounterNames.InvalidInner, CounterNames.DecryptFailed, CounterNames.Replayed,
        CounterNames.StagedDropped, CounterNames.SendErrors, CounterNames.HandshakesSent, CounterNames.HandshakesReceived,
        CounterNames.HandshakesFailed,
    ];

    public int Count => Names.Length;

    /// <summary>The counter at <paramref name="index"/> (in the order of <see cref="Names"/>), read now.</summary>
    public KeyValuePair<string, ulong> this[int index] => new(Names[index], (ulong)(index switch
    {
        0 => UnallowedSource,
        1 => InvalidInnerPacket,
        2 => DecryptFailed,
        3 => Replayed,
        4 => StagedDropped,
        5 => SendErrors,
        6 => HandshakesSent,
        7 => HandshakesReceived,
        8 => HandshakesFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    }));

    public IEnumerator<KeyValuePair<string, ulong>> GetEnumerator()
    {
        for (int i = 0; i < Names.Length; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Every counter by its <see cref="CounterNames"/> name, copied now.</summary>
    public KeyValuePair<string, ulong>[] Snapshot() => [.. this];
}
