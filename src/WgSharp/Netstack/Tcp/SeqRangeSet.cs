namespace WgSharp.Netstack.Tcp;

/// <summary>
/// A small sorted set of disjoint sequence ranges [start, end): the receiver's out-of-order data and the sender's SACK
/// scoreboard. Bounded by <see cref="MaxRanges"/> (when full, a new range that would need another slot is refused).
/// Preallocated; no allocation after construction. Not thread-safe.
/// </summary>
internal sealed class SeqRangeSet
{
    public const int MaxRanges = 128; // holes a receiver tracks: at 3 % loss a 4 MiB window has ~90

    private readonly uint[] _starts = new uint[MaxRanges];
    private readonly uint[] _ends = new uint[MaxRanges];
    private int _count;

    public int Count => _count;
    public uint Start(int i) => _starts[i];
    public uint End(int i) => _ends[i];

    /// <summary>Total bytes covered.</summary>
    public long Bytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _count; i++) total += _ends[i] - _starts[i];
            return total;
        }
    }

    public void Clear() => _count = 0;

    /// <summary>Adds [start, end), merging with neighbours; false when it needed a new slot and none was free.</summary>
    public bool Add(uint start, uint end)
    {
        if (!Seq.Lt(start, end)) return true;
        // First range whose end reaches start (ranges touching merge too).
        int i = 0;
        while (i < _count && Seq.Lt(_ends[i], start)) i++;
        if (i == _count || Seq.Gt(_starts[i], end))
        {
            if (_count == MaxRanges) return false;
            Array.Copy(_starts, i, _starts, i + 1, _count - i);
            Array.Copy(_ends, i, _ends, i + 1, _count - i);
            _starts[i] = start;
            _ends[i] = end;
            _count++;
            return true;
        }
        _starts[i] = Seq.Min(_starts[i], start);
        _ends[i] = Seq.Max(_ends[i], end);
        // Swallow the following ranges the grown one now reaches.
        int j = i + 1;
        while (j < _count && Seq.Le(_starts[j], _ends[i]))
        {
            _ends[i] = Seq.Max(_ends[i], _ends[j]);
            j++;
        }
        int removed = j - i - 1;
        if (removed > 0)
        {
            Array.Copy(_starts, j, _starts, i + 1, _count - j);
            Array.Copy(_ends, j, _ends, i + 1, _count - j);
            _count -= removed;
        }
        return true;
    }

    /// <summary>Forgets everything before <paramref name="point"/> (trimming a range that straddles it).</summary>
    public void RemoveBefore(uint point)
    {
        int drop = 0;
        while (drop < _count && Seq.Le(_ends[drop], point)) drop++;
        if (drop > 0)
        {
            Array.Copy(_starts, drop, _starts, 0, _count - drop);
            Array.Copy(_ends, drop, _ends, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && Seq.Lt(_starts[0], point)) _starts[0] = point;
    }

    /// <summary>Whether <paramref name="x"/> lies in a range.</summary>
    public bool Contains(uint x)
    {
        for (int i = 0; i < _count; i++)
            if (Seq.InRange(x, _starts[i], _ends[i])) return true;
        return false;
    }

    /// <summary>The index of the range holding <paramref name="x"/>, or -1.</summary>
    public int IndexOf(uint x)
    {
        int low = 0, high = _count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (Seq.Le(_ends[mid], x)) low = mid + 1;
            else high = mid;
        }
        return low < _count && Seq.Ge(x, _starts[low]) ? low : -1;
    }

    /// <summary>The highest end, or <paramref name="fallback"/> when empty.</summary>
    public uint HighestEnd(uint fallback) => _count == 0 ? fallback : _ends[_count - 1];
}
