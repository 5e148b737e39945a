using WgSharp.Netstack.Buffers;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// The sender's record of what is in flight: one entry per segment sent (its sequence range, when it was last sent,
/// whether the peer SACKed it, whether it is deemed lost, whether it was retransmitted), and RACK's time-based loss
/// detection over them (RFC 8985 6.2): a segment is lost when one sent after it was delivered and a reordering window
/// has passed since it was sent. Entries live in a native ring (<see cref="NativeBlockCache"/>) taken when the first
/// segment goes out and given back when everything is acknowledged, so an idle connection holds none and sending makes
/// no garbage, not even the first time. Not thread-safe (the connection's lock guards it).
/// </summary>
internal sealed unsafe class SendScoreboard
{
    private const byte Sacked = 1, Lost = 2, Retransmitted = 4, Fin = 8;

    private struct Entry
    {
        public uint Start, End;
        public uint Order; // transmission order: a millisecond clock cannot order the many segments sent in one tick
        public long SentMs;
        public byte Flags;
    }

    private readonly int _capacity;
    private Entry* _ring; // _capacity entries, or null while nothing is in flight
    private int _head, _count;

    // RACK (RFC 8985 6.1): the most recently sent segment known delivered, its RTT, and the highest delivered end.
    private uint _sendOrder;
    private uint _rackOrder;
    private long _rackRttMs;
    private bool _rackValid;
    private uint _highestDelivered;
    private bool _anyDelivered;
    private long _minRttMs = long.MaxValue;

    /// <summary>A scoreboard of at most <paramref name="capacity"/> segments in flight (sending waits when it is full).</summary>
    public SendScoreboard(int capacity) => _capacity = Math.Max(16, capacity);

    // A scoreboard dropped without Release (its connection abandoned, never closed) gives its ring back here.
    ~SendScoreboard() => Release();

    /// <summary>Bytes (sequence space) SACKed above SND.UNA.</summary>
    public long SackedBytes { get; private set; }

    /// <summary>Bytes deemed lost and not retransmitted since.</summary>
    public long LostBytes { get; private set; }

    /// <summary>Segments in flight.</summary>
    public int Count => _count;

    /// <summary>Whether another segment can be recorded.</summary>
    public bool HasRoom => _count < _capacity;

    /// <summary>RACK has seen a segment delivered before one sent earlier than it: the path reorders.</summary>
    public bool ReorderingSeen { get; private set; }

    /// <summary>The smallest RTT seen on a segment sent once (ms), long.MaxValue before any.</summary>
    public long MinRttMs => _minRttMs;

    private ref Entry At(int i) => ref _ring[(_head + i) % _capacity];

    /// <summary>A new segment [start, end) went out (end includes the FIN's sequence number when <paramref name="fin"/>).</summary>
    public void OnNewSegment(uint start, uint end, long nowMs, bool fin)
    {
        if (!Seq.Lt(start, end) || _count == _capacity) return;
        // Not zeroed: every field of an entry is set as it is added.
        if (_ring == null) _ring = (Entry*)NativeBlockCache.Rent(RingBytes, zeroed: false);
        ref var e = ref At(_count);
        e.Start = start;
        e.End = end;
        e.SentMs = nowMs;
        e.Order = ++_sendOrder;
        e.Flags = fin ? Fin : (byte)0;
        _count++;
    }

    /// <summary>The cumulative ACK moved to <paramref name="ack"/>: drops the entries below it (RACK learns from them).</summary>
    public void OnCumulativeAck(uint ack, long nowMs)
    {
        while (_count > 0)
        {
            ref var e = ref At(0);
            if (Seq.Le(e.End, ack))
            {
                if ((e.Flags & Sacked) == 0) OnDelivered(ref e, nowMs);
                Forget(ref e, e.End - e.Start);
                _head = (_head + 1) % _capacity;
                _count--;
                continue;
            }
            if (Seq.Gt(ack, e.Start))
            {
                // Part of a segment acknowledged (the peer trimmed it at its window's edge): keep the rest.
                Forget(ref e, ack - e.Start);
                e.Start = ack;
            }
            break;
        }
        if (_count == 0) _head = 0;
    }

    private void Forget(ref Entry e, uint bytes)
    {
        if ((e.Flags & Sacked) != 0) SackedBytes -= bytes;
        if ((e.Flags & Lost) != 0) LostBytes -= bytes;
    }

    /// <summary>A SACK block [start, end): the entries wholly inside it are delivered.</summary>
    public void OnSackBlock(uint start, uint end, long nowMs)
    {
        if (_count == 0 || !Seq.Lt(start, end)) return;
        for (int i = FirstEndingAfter(start); i < _count; i++)
        {
            ref var e = ref At(i);
            if (Seq.Ge(e.Start, end)) break;
            if ((e.Flags & Sacked) != 0 || Seq.Lt(e.Start, start) || Seq.Gt(e.End, end)) continue;
            uint length = e.End - e.Start;
            if ((e.Flags & Lost) != 0) { LostBytes -= length; e.Flags &= unchecked((byte)~Lost); }
            e.Flags |= Sacked;
            SackedBytes += length;
            OnDelivered(ref e, nowMs);
        }
    }

    /// <summary>The index of the first entry ending after <paramref name="seq"/> (entries are contiguous and ordered).</summary>
    private int FirstEndingAfter(uint seq)
    {
        int low = 0, high = _count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (Seq.Le(At(mid).End, seq)) low = mid + 1;
            else high = mid;
        }
        return low;
    }

    // RFC 8985 6.2 steps 2 and 3.
    private void OnDelivered(ref Entry e, long nowMs)
    {
        long rtt = nowMs - e.SentMs;
        bool retransmitted = (e.Flags & Retransmitted) != 0;
        // The ACK may be for the original of a retransmitted segment: too early to be for the retransmission.
        if (retransmitted && _minRttMs != long.MaxValue && rtt < _minRttMs) return;
        if (!retransmitted && rtt < _minRttMs) _minRttMs = rtt;
        if (_anyDelivered && !retransmitted && Seq.Lt(e.End, _highestDelivered)) ReorderingSeen = true;
        if (!_anyDelivered || Seq.Gt(e.End, _highestDelivered)) _highestDelivered = e.End;
        _anyDelivered = true;
        if (!_rackValid || SentAfter(e.Order, _rackOrder))
        {
            _rackValid = true;
            _rackOrder = e.Order;
            _rackRttMs = Math.Max(0, rtt);
        }
    }

    private static bool SentAfter(uint order1, uint order2) => (int)(order1 - order2) > 0;

    /// <summary>
    /// RACK's loss detection (RFC 8985 6.2 step 5): marks lost every segment sent before the latest delivered one and
    /// longer ago than its RTT plus <paramref name="reorderWindowMs"/>; returns how long until the next could be marked
    /// (ms, the reordering timer), 0 when none waits.
    /// </summary>
    public long DetectLosses(long nowMs, long reorderWindowMs)
    {
        if (!_rackValid) return 0;
        long wait = 0;
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref At(i);
            if ((e.Flags & (Sacked | Lost)) != 0) continue;
            if (!SentAfter(_rackOrder, e.Order))
            {
                // Sent after the latest delivered segment: so is every later first transmission.
                if ((e.Flags & Retransmitted) == 0) break;
                continue;
            }
            long remaining = e.SentMs + _rackRttMs + reorderWindowMs - nowMs;
            if (remaining <= 0) MarkLost(ref e);
            else if (remaining > wait) wait = remaining;
        }
        return wait;
    }

    /// <summary>Segments marked lost so far (diagnostics).</summary>
    public long MarkedLost { get; private set; }

    private void MarkLost(ref Entry e)
    {
        MarkedLost++;
        e.Flags |= Lost;
        LostBytes += e.End - e.Start;
    }

    /// <summary>Marks the segment at SND.UNA lost (duplicate ACKs or a partial ACK without SACK, RFC 6582); false when there is none to mark.</summary>
    public bool MarkFirstLost()
    {
        if (_count == 0) return false;
        ref var e = ref At(0);
        if ((e.Flags & (Sacked | Lost)) != 0) return false;
        MarkLost(ref e);
        return true;
    }

    /// <summary>
    /// The retransmission timer expired (RFC 8985 6.3, RFC 6675 5.1): everything not SACKed is lost and goes again in
    /// order. A SACKed segment at SND.UNA means the peer reneged (it would have ACKed it): then SACK information is dropped.
    /// </summary>
    public void OnRetransmissionTimeout()
    {
        if (_count == 0) return;
        bool reneged = (At(0).Flags & Sacked) != 0;
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref At(i);
            if (reneged && (e.Flags & Sacked) != 0) { e.Flags &= unchecked((byte)~Sacked); SackedBytes -= e.End - e.Start; }
            if ((e.Flags & (Sacked | Lost)) == 0) MarkLost(ref e);
        }
    }

    /// <summary>The first segment deemed lost and not yet sent again: its range and whether it carries the FIN.</summary>
    public bool TryFirstLost(out uint start, out uint end, out bool fin)
    {
        if (LostBytes > 0)
        {
            for (int i = 0; i < _count; i++)
            {
                ref var e = ref At(i);
                if ((e.Flags & Lost) == 0) continue;
                start = e.Start;
                end = e.End;
                fin = (e.Flags & Fin) != 0;
                return true;
            }
        }
        start = end = 0;
        fin = false;
        return false;
    }

    /// <summary>The highest segment not SACKed (what a tail loss probe sends again).</summary>
    public bool TryLast(out uint start, out uint end, out bool fin)
    {
        for (int i = _count - 1; i >= 0; i--)
        {
            ref var e = ref At(i);
            if ((e.Flags & Sacked) != 0) continue;
            start = e.Start;
            end = e.End;
            fin = (e.Flags & Fin) != 0;
            return true;
        }
        start = end = 0;
        fin = false;
        return false;
    }

    /// <summary>The segment starting at <paramref name="start"/> was sent again now: in flight again, not lost.</summary>
    public void OnRetransmitted(uint start, long nowMs)
    {
        int i = FirstEndingAfter(start);
        if (i >= _count) return;
        ref var e = ref At(i);
        if (e.Start != start) return;
        if ((e.Flags & Lost) != 0) { LostBytes -= e.End - e.Start; e.Flags &= unchecked((byte)~Lost); }
        e.Flags |= Retransmitted;
        e.SentMs = nowMs;
        e.Order = ++_sendOrder;
    }

    /// <summary>Forgets everything and gives the ring back to the pool (the connection closed, or all is acknowledged).</summary>
    public void Release()
    {
        _count = _head = 0;
        SackedBytes = LostBytes = 0;
        if (_ring != null)
        {
            NativeBlockCache.Return(_ring, RingBytes);
            _ring = null;
        }
    }

    private nuint RingBytes => (nuint)_capacity * (nuint)sizeof(Entry);

    /// <summary>Gives the ring back when nothing is in flight (an idle connection holds none).</summary>
    public void ReleaseIfEmpty()
    {
        if (_count == 0 && _ring != null) Release();
    }
}
