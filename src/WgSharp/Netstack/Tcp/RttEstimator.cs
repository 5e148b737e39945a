namespace WgSharp.Netstack.Tcp;

/// <summary>The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples, bounded, with exponential backoff.</summary>
internal sealed class RttEstimator
{
    private readonly long _minRto, _maxRto;
    private long _srtt8;   // SRTT * 8 (ms)
    private long _rttvar4; // RTTVAR * 4 (ms)
    private bool _hasSample;
    private long _rto;
    private int _backoff;

    public RttEstimator(long initialRtoMs, long minRtoMs, long maxRtoMs)
    {
        _minRto = minRtoMs;
        _maxRto = maxRtoMs;
        _rto = Math.Clamp(initialRtoMs, minRtoMs, maxRtoMs);
    }

    /// <summary>The current timeout, backoff included (ms).</summary>
    public long Rto => Math.Min(_maxRto, _rto << Math.Min(_backoff, 20));

    /// <summary>Smoothed RTT (ms), 0 before the first sample.</summary>
    public long SmoothedRtt => _srtt8 / 8;

    public bool HasSample => _hasSample;

    /// <summary>A new measurement (RFC 6298 2.2/2.3); also ends the backoff (new data was ACKed).</summary>
    public void AddSample(long rttMs)
    {
        if (rttMs < 0) return;
        if (rttMs == 0) rttMs = 1;
        if (!_hasSample)
        {
            _srtt8 = rttMs * 8;
            _rttvar4 = rttMs * 2; // RTTVAR = R/2
            _hasSample = true;
        }
        else
        {
            long delta = rttMs - _srtt8 / 8;
            _srtt8 += delta;                                   // SRTT += (R - SRTT)/8
            _rttvar4 += Math.Abs(delta) - _rttvar4 / 4;        // RTTVAR += (|R - SRTT| - RTTVAR)/4
        }
        _rto = Math.Clamp(_srtt8 / 8 + Math.Max(1, _rttvar4), _minRto, _maxRto);
        _backoff = 0;
    }

    /// <summary>The timer expired: double the timeout (RFC 6298 5.5).</summary>
    public void Backoff() => _backoff++;

    /// <summary>New data was acknowledged: the backoff ends (the next RTO is computed afresh).</summary>
    public void ResetBackoff() => _backoff = 0;
}
