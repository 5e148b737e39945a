namespace WgSharp.Netstack.Icmp;

/// <summary>A thread-safe token bucket on the stack's millisecond clock: <c>rate</c> tokens a second, at most <c>burst</c> saved.</summary>
internal sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly long _ratePerSecond;
    private readonly long _capacityMilli; // tokens × 1000, so refills of less than a token per millisecond add up
    private long _milliTokens;
    private long _lastMs;

    public TokenBucket(int ratePerSecond, int burst, long nowMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _ratePerSecond = ratePerSecond;
        _capacityMilli = burst * 1000L;
        _milliTokens = _capacityMilli;
        _lastMs = nowMs;
    }

    /// <summary>Takes one token; false when none is left.</summary>
    public bool TryTake(long nowMs)
    {
        lock (_lock)
        {
            if (nowMs > _lastMs)
            {
                // rate tokens/s = rate milli-tokens/ms; cap the elapsed time so the product cannot overflow.
                long elapsed = Math.Min(nowMs - _lastMs, 1_000_000);
                _milliTokens = Math.Min(_capacityMilli, _milliTokens + elapsed * _ratePerSecond);
                _lastMs = nowMs;
            }
            if (_milliTokens < 1000) return false;
            _milliTokens -= 1000;
            return true;
        }
    }
}
