namespace WgSharp.Protocol;

// PLACEHOLDER replaced by the routing branch's implementation at merge.
public struct ReplayWindow
{
    private ulong _max; private bool _any; private HashSet<ulong>? _seen;
    public ReplayWindow() { }
    public bool TryAccept(ulong counter, ulong limit)
    {
        _seen ??= [];
        if (counter >= limit) return false;
        if (_any && counter + 8000 < _max) return false;
        if (!_seen.Add(counter)) return false;
        if (!_any || counter > _max) _max = counter;
        _any = true;
        return true;
    }
    public void Reset() { _seen = null; _any = false; _max = 0; }
}
