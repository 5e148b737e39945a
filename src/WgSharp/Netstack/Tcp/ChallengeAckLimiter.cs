namespace WgSharp.Netstack.Tcp;

/// <summary>
/// RFC 5961 7: challenge ACKs are rate-limited per stack, so a blind attacker cannot make us send an ACK flood (and the
/// limit is per stack, not per connection). A fixed one-second window; thread-safe.
/// </summary>
internal sealed class ChallengeAckLimiter
{
    private readonly int _perSecond;
    private readonly Lock _lock = new();
    private long _windowStartMs = long.MinValue;
    private int _sent;

    public ChallengeAckLimiter(int perSecond) => _perSecond = perSecond;

    /// <summary>Whether one more challenge ACK may go out now.</summary>
    public bool TryTake(long nowMs)
    {
        lock (_lock)
        {
            if (nowMs - _windowStartMs >= 1000)
            {
                _windowStartMs = nowMs;
                _sent = 0;
            }
            if (_sent >= _perSecond) return false;
            _sent++;
            return true;
        }
    }
}
