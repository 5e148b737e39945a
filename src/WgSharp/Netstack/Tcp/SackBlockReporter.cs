namespace WgSharp.Netstack.Tcp;

/// <summary>
/// Which SACK blocks the receiver reports (RFC 2018 4): the blocks holding the most recent out-of-order arrivals first,
/// each reported once in that order, then the highest blocks. Several arrivals are often ACKed together (a batch of
/// packets arrives before the output runs, and each owes its own ACK): reporting only the latest arrival's block and
/// the top ones would hide the middle blocks a retransmission just extended, and the sender would send them again.
/// Each block is reported in two ACKs, so one lost ACK does not lose it.
/// A fixed array; no allocation. Not thread-safe (the connection's lock guards it).
/// </summary>
internal sealed class SackBlockReporter
{
    private const int MaxPending = 32, ReportsPerBlock = 2;
    private readonly byte[] _reports = new byte[MaxPending];
    private readonly uint[] _pending = new uint[MaxPending]; // a sequence number inside each unreported block, most recent first
    private int _count;

    /// <summary>Out-of-order bytes starting at <paramref name="seq"/> were added to <paramref name="outOfOrder"/>.</summary>
    public void OnArrival(uint seq, SeqRangeSet outOfOrder)
    {
        // One entry per block: an earlier arrival in the same block is superseded.
        int block = outOfOrder.IndexOf(seq);
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            if (block >= 0 && outOfOrder.IndexOf(_pending[i]) == block) continue;
            _reports[kept] = _reports[i];
            _pending[kept++] = _pending[i];
        }
        _count = Math.Min(kept, MaxPending - 1);
        Array.Copy(_pending, 0, _pending, 1, _count);
        Array.Copy(_reports, 0, _reports, 1, _count);
        _pending[0] = seq;
        _reports[0] = 0;
        _count++;
    }

    /// <summary>Fills up to <paramref name="max"/> blocks (start, end pairs): the count.</summary>
    public int Fill(Span<uint> blocks, int max, SeqRangeSet outOfOrder)
    {
        int count = 0, kept = 0;
        for (int i = 0; i < _count; i++)
        {
            int index = count < max ? outOfOrder.IndexOf(_pending[i]) : -2;
            if (index >= 0)
            {
                Add(blocks, ref count, outOfOrder.Start(index), outOfOrder.End(index));
                if (++_reports[i] >= ReportsPerBlock) continue; // reported enough
            }
            else if (index == -1) continue; // no longer out of order
            _pending[kept] = _pending[i];
            _reports[kept++] = _reports[i];
        }
        _count = kept;
        for (int i = outOfOrder.Count - 1; i >= 0 && count < max; i--)
            Add(blocks, ref count, outOfOrder.Start(i), outOfOrder.End(i));
        return count;
    }

    private static void Add(Span<uint> blocks, ref int count, uint start, uint end)
    {
        for (int i = 0; i < count; i++)
            if (blocks[i * 2] == start) return;
        blocks[count * 2] = start;
        blocks[count * 2 + 1] = end;
        count++;
    }

    /// <summary>A block not reported even once is waiting: another ACK should carry it.</summary>
    public bool HasUnreported
    {
        get
        {
            for (int i = 0; i < _count; i++)
                if (_reports[i] == 0) return true;
            return false;
        }
    }

    /// <summary>Forgets everything (the out-of-order set was cleared).</summary>
    public void Clear() => _count = 0;
}
