namespace WgSharp.Netstack.Tcp;

/// <summary>Which congestion controller new connections use.</summary>
internal enum CongestionAlgorithm
{
    /// <summary>CUBIC (RFC 9438), the default.</summary>
    Cubic,
    /// <summary>NewReno (RFC 5681, RFC 6582).</summary>
    NewReno,
}

/// <summary>
/// A congestion window (bytes) with slow start and the reactions to loss (RFC 5681): this base grows it as NewReno does in
/// congestion avoidance; <see cref="CubicCongestionControl"/> overrides that growth. Loss recovery itself (what to
/// retransmit) is the connection's job; this class only says how much may be in flight.
/// </summary>
internal class CongestionControl
{
    protected int Mss;
    private int _avoidanceCredit; // bytes ACKed in congestion avoidance not yet turned into cwnd

    public CongestionControl(int mss)
    {
        SetMss(mss);
        Ssthresh = int.MaxValue;
    }

    /// <summary>The segment size became known (handshake): sets it and the initial window.</summary>
    public void SetMss(int mss)
    {
        Mss = mss;
        // RFC 6928 initial window: 10 segments (bounded to 14,600 bytes for large MSS as RFC 6928 says).
        Cwnd = Math.Min(10 * mss, Math.Max(2 * mss, 14600));
    }

    /// <summary>Congestion window, bytes.</summary>
    public int Cwnd { get; protected set; }

    /// <summary>Slow start threshold, bytes.</summary>
    public int Ssthresh { get; protected set; }

    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>New data was ACKed outside loss recovery.</summary>
    public void OnAck(int ackedBytes, long nowMs, long srttMs)
    {
        if (ackedBytes <= 0) return;
        if (InSlowStart)
        {
            // RFC 5681 3.1 with RFC 3465 (L = 2 MSS): grow by what was ACKed.
            Cwnd = (int)Math.Min(int.MaxValue / 2, (long)Cwnd + Math.Min(ackedBytes, 2 * Mss));
            return;
        }
        GrowInAvoidance(ackedBytes, nowMs, srttMs);
    }

    /// <summary>Congestion avoidance growth; NewReno: one MSS per window ACKed.</summary>
    protected virtual void GrowInAvoidance(int ackedBytes, long nowMs, long srttMs)
    {
        _avoidanceCredit += ackedBytes;
        if (_avoidanceCredit >= Cwnd)
        {
            _avoidanceCredit -= Cwnd;
            Cwnd = Math.Min(int.MaxValue / 2, Cwnd + Mss);
        }
    }

    /// <summary>
    /// What a loss cuts: the bytes in flight (RFC 5681 3.1's FlightSize), but never more than the window. SND.MAX - SND.UNA
    /// counts SACKed bytes too: while a hole at SND.UNA stays open (a segment held back on the path) the sender goes on
    /// sending above it, and the outstanding bytes grow far past the window; a cut from those would grow the window.
    /// </summary>
    protected int ReductionBase(int flightBytes) => Math.Min(flightBytes, Cwnd);

    /// <summary>Loss detected by duplicate ACKs or SACK: the window shrinks once per recovery episode.</summary>
    public virtual void OnLossDetected(int flightBytes, long nowMs)
    {
        Ssthresh = Math.Max(ReductionBase(flightBytes) / 2, 2 * Mss);
        Cwnd = Ssthresh;
        _avoidanceCredit = 0;
    }

    /// <summary>The retransmission timer expired: back to one segment and slow start (RFC 5681 3.1).</summary>
    public virtual void OnRetransmissionTimeout(int flightBytes, long nowMs)
    {
        Ssthresh = Math.Max(ReductionBase(flightBytes) / 2, 2 * Mss);
        Cwnd = Mss;
        _avoidanceCredit = 0;
    }

    /// <summary>Recovery ended (the recovery point was ACKed): deflate to ssthresh (RFC 6582 3.2 step 3).</summary>
    public virtual void OnRecoveryEnd() => Cwnd = Math.Max(Ssthresh, 2 * Mss);

    private int _priorCwnd, _priorSsthresh;

    /// <summary>
    /// Remembers the window before a reduction (called just before <see cref="OnLossDetected"/> or
    /// <see cref="OnRetransmissionTimeout"/>), so <see cref="Undo"/> can restore it if the loss proves spurious.
    /// </summary>
    public virtual void SaveForUndo()
    {
        _priorCwnd = Cwnd;
        _priorSsthresh = Ssthresh;
    }

    /// <summary>
    /// The last reduction was spurious (RFC 3708: DSACKs reported every retransmission it caused as arriving twice,
    /// so nothing was lost): the window and threshold from before it come back, never smaller than they are now.
    /// </summary>
    public virtual void Undo()
    {
        Cwnd = Math.Max(Cwnd, _priorCwnd);
        Ssthresh = Math.Max(Ssthresh, _priorSsthresh);
        _avoidanceCredit = 0;
    }

    /// <summary>A factory by algorithm.</summary>
    public static CongestionControl Create(CongestionAlgorithm algorithm, int mss) =>
        algorithm == CongestionAlgorithm.NewReno ? new CongestionControl(mss) : new CubicCongestionControl(mss);
}

/// <summary>CUBIC (RFC 9438): after a loss the window grows along a cubic curve around the last maximum, with a Reno-friendly floor.</summary>
internal sealed class CubicCongestionControl : CongestionControl
{
    private const double C = 0.4, Beta = 0.7;

    private double _wMax;         // segments, window before the last reduction
    private double _k;            // seconds to reach _wMax again
    private long _epochStartMs = -1;
    private double _wEst;         // Reno-friendly estimate, segments
    private double _cwndSegments; // fractional window so small increments are not lost

    public CubicCongestionControl(int mss) : base(mss) { }

    protected override void GrowInAvoidance(int ackedBytes, long nowMs, long srttMs)
    {
        double cwnd = _cwndSegments > 0 ? _cwndSegments : (double)Cwnd / Mss;
        if (_epochStartMs < 0)
        {
            _epochStartMs = nowMs;
            if (_wMax < cwnd) { _wMax = cwnd; _k = 0; }
            else _k = Math.Cbrt((_wMax - cwnd) / C);
            _wEst = cwnd;
        }
        double t = (nowMs - _epochStartMs + Math.Max(srttMs, 1)) / 1000.0; // RFC 9438 4.2: target at t + RTT
        double target = C * Math.Pow(t - _k, 3) + _wMax;
        double acked = (double)ackedBytes / Mss;
        // Reno-friendly region (RFC 9438 4.3): alpha = 3(1-beta)/(1+beta) segments per RTT.
        _wEst += 3 * (1 - Beta) / (1 + Beta) * acked / cwnd;
        if (target < cwnd) target = cwnd;
        else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
        double next = cwnd + (target - cwnd) / cwnd * acked;
        if (_wEst > next) next = _wEst;
        _cwndSegments = next;
        Cwnd = (int)Math.Min(int.MaxValue / 2, next * Mss);
    }

    public override void OnLossDetected(int flightBytes, long nowMs)
    {
        double cwnd = (double)Cwnd / Mss;
        // Fast convergence (RFC 9438 4.7).
        _wMax = cwnd < _wMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _epochStartMs = -1;
        int reduced = (int)Math.Max(2.0 * Mss, ReductionBase(flightBytes) * Beta);
        Ssthresh = reduced;
        Cwnd = reduced;
        _cwndSegments = (double)reduced / Mss;
    }

    public override void OnRetransmissionTimeout(int flightBytes, long nowMs)
    {
        OnLossDetected(flightBytes, nowMs);
        Cwnd = Mss;
        _cwndSegments = 1;
    }

    public override void OnRecoveryEnd()
    {
        Cwnd = Math.Max(Ssthresh, 2 * Mss);
        _cwndSegments = (double)Cwnd / Mss;
    }

    private double _priorWMax, _priorK, _priorWEst;
    private long _priorEpochStartMs = -1;

    public override void SaveForUndo()
    {
        base.SaveForUndo();
        (_priorWMax, _priorK, _priorEpochStartMs, _priorWEst) = (_wMax, _k, _epochStartMs, _wEst);
    }

    /// <summary>RFC 9438 4.9: a spurious congestion event restores W_max, K and the epoch too, so the curve goes on where it was.</summary>
    public override void Undo()
    {
        base.Undo();
        (_wMax, _k, _epochStartMs, _wEst) = (_priorWMax, _priorK, _priorEpochStartMs, _priorWEst);
        _cwndSegments = (double)Cwnd / Mss;
    }
}
