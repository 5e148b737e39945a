namespace WgSharp.Netstack.Tcp;

/// <summary>
/// Loss recovery of a connection: what is lost (RACK, RFC 8985, over the <see cref="SendScoreboard"/> when SACK is on;
/// three duplicate ACKs and NewReno's partial ACKs, RFC 6582, when it is off), what goes again and when (RFC 6675's pipe
/// against the congestion window), the tail loss probe (RFC 8985 7), and the retransmission timeout (RFC 6298, RFC 5681
/// 3.1: everything not SACKed is sent again in order). Every method runs under the connection's lock.
/// </summary>
internal sealed partial class TcpConnection
{
    private const long WorstCaseDelayedAckMs = 200; // RFC 8985 7.2 WCDelAckT
    private const long MinLossProbeMs = 10;         // a floor under 2·SRTT for a sub-millisecond path and a coarse timer
    private const long MinReorderWindowMs = 2;      // one clock tick of slack: a ms clock cannot tell 0.1 ms from 0.9 ms

    private bool _lossProbeOutstanding; // a probe went out and no ACK moved SND.UNA since (RFC 8985 7.3: one at a time)

    // RFC 8985 6.2 step 4: the reordering window grows by one unit per round trip in which a DSACK said a retransmission
    // was spurious, and falls back to one unit after 16 recoveries without one.
    private const int ReorderWindowPersist = 16;
    private int _reorderWindowMultiplier = 1;
    private int _recoveriesWithoutDsack;
    private bool _dsackRoundOpen;
    private uint _dsackRoundEnd;

    // Undo of a spurious window cut (RFC 3708's DSACK-based detection, as Linux's TCPDSACKUndo; RFC 9438 4.9): the
    // retransmissions since the last cut; once DSACKs have reported each of them as arrived twice, nothing was lost, and
    // the window from before the cut comes back. A path that holds packets back longer than the reordering window (RACK's
    // is at most SRTT) makes RACK retransmit them and cut the window; without the undo every such hold-back halves it.
    // The starts are kept (not merely counted, as Linux does): a DSACK for a segment the network duplicated, which we
    // never sent twice, proves nothing.
    private const int UndoTrackLimit = 16;
    private UndoStarts _undoStarts;
    private int _undoPending;    // retransmissions recorded and not yet reported spurious
    private bool _undoArmed;     // the last cut may still prove spurious (cleared by the undo, or by too many retransmissions)

    [System.Runtime.CompilerServices.InlineArray(UndoTrackLimit)]
    private struct UndoStarts
    {
        private uint _first;
    }

    /// <summary>The window is about to be cut (recovery or RTO): what it was is kept, and the episode's retransmissions are tracked.</summary>
    private void ArmUndo()
    {
        _congestion.SaveForUndo();
        _undoArmed = true;
        _undoPending = 0;
    }

    private void TrackRetransmissionForUndo(uint start)
    {
        if (!_undoArmed) return;
        if (_undoPending == UndoTrackLimit) { _undoArmed = false; return; } // too many to prove spurious one by one
        _undoStarts[_undoPending++] = start;
    }

    /// <summary>A DSACK reported [start, end) as arrived twice: one tracked retransmission inside it was spurious.</summary>
    private void OnSpuriousRetransmissionReported(uint start, uint end)
    {
        if (!_undoArmed) return;
        for (int i = 0; i < _undoPending; i++)
        {
            if (!Seq.Ge(_undoStarts[i], start) || !Seq.Lt(_undoStarts[i], end)) continue;
            _undoStarts[i] = _undoStarts[--_undoPending];
            if (_undoPending == 0) UndoWindowCut(); // a match means one was tracked, so the last one was just reported
            return;
        }
    }

    private void UndoWindowCut()
    {
        _undoArmed = false;
        _congestion.Undo();
        _counters.Increment(NetstackCounter.TcpRecoveriesUndone);
        // The episode is over: a loss found from now on is a new congestion event with its own cut.
        _inRecovery = false;
        _recoveryPoint = _sndUna;
        _host.RequestOutput(this);
    }

    /// <summary>
    /// A duplicate SACK (RFC 2883: the first block at or below the cumulative ACK, or inside the second block) reported
    /// data that arrived twice: a retransmission was spurious, so the path reorders more than the window allowed.
    /// </summary>
    private void OnDuplicateSack(uint ack, uint start, uint end)
    {
        _counters.Increment(NetstackCounter.TcpDuplicateSacksReceived);
        OnSpuriousRetransmissionReported(start, end);
        _recoveriesWithoutDsack = 0;
        if (_dsackRoundOpen && Seq.Ge(ack, _dsackRoundEnd)) _dsackRoundOpen = false; // the round trip is over
        if (_dsackRoundOpen) return; // once per round trip
        _dsackRoundOpen = true;
        _dsackRoundEnd = _sndNxt;
        if (_reorderWindowMultiplier < 64) _reorderWindowMultiplier++;
    }

    /// <summary>The reordering window in use (tests).</summary>
    internal long ReorderWindow
    {
        get { lock (_lock) return ReorderWindowMs(); }
    }

    /// <summary>RFC 6675's pipe: bytes believed in the network (sent, not ACKed, not SACKed, not deemed lost).</summary>
    private int Pipe()
    {
        long pipe = (long)(_sndMax - _sndUna) - _scoreboard.SackedBytes - _scoreboard.LostBytes;
        // Without SACK each duplicate ACK says a segment left the network (RFC 3042 limited transmit, RFC 6582 inflation).
        if (!_sackOk) pipe -= (long)_dupAcks * EffectiveMss;
        return (int)Math.Clamp(pipe, 0, int.MaxValue);
    }

    /// <summary>SND.UNA moved: ends recovery at the recovery point, or (without SACK) marks the next segment lost.</summary>
    private void OnNewAckForRecovery(uint ack, int acked, long nowMs)
    {
        _lossProbeOutstanding = false;
        if (_inRecovery)
        {
            if (Seq.Ge(ack, _recoveryPoint))
            {
                _inRecovery = false;
                _congestion.OnRecoveryEnd();
            }
            else if (!_sackOk)
            {
                // A partial ACK (RFC 6582 3.2 step 5): the segment now at SND.UNA was lost too.
                _scoreboard.MarkFirstLost();
                _retransmitFirstHole = true;
                _dupAcks = 0;
            }
        }
        else
        {
            _congestion.OnAck(acked, nowMs, _rtt.SmoothedRtt);
        }
        if (!_inRecovery) _dupAcks = 0;
        _scoreboard.ReleaseIfEmpty();
    }

    private void OnDuplicateAck(long nowMs)
    {
        _dupAcks++;
        // With SACK, RACK decides what is lost (after the ACK is processed); a SACKed segment already left the pipe, which
        // lets a new one go (limited transmit, RFC 3042). Without SACK the third duplicate starts fast retransmit.
        if (!_sackOk && !_inRecovery && _dupAcks == DupAckThreshold && _scoreboard.MarkFirstLost()) OnLossesDetected(nowMs);
        _host.RequestOutput(this);
    }

    /// <summary>After an ACK: RACK marks what is lost (or arms the reordering timer), and the loss probe is re-armed.</summary>
    private void DetectLosses(long nowMs)
    {
        if (_sackOk && _scoreboard.Count > 0)
        {
            long lostBefore = _scoreboard.LostBytes;
            long wait = _scoreboard.DetectLosses(nowMs, ReorderWindowMs());
            _reorderDeadline = wait > 0 ? nowMs + wait : 0;
            if (_scoreboard.LostBytes > lostBefore) OnLossesDetected(nowMs);
        }
        else
        {
            _reorderDeadline = 0;
        }
        ArmLossProbe(nowMs);
    }

    /// <summary>
    /// RACK's reordering window (RFC 8985 6.2 step 4): none while the path never reordered and loss is already evident,
    /// else a quarter of the minimum RTT, at most SRTT, never under one clock tick.
    /// </summary>
    private long ReorderWindowMs()
    {
        if (!_scoreboard.ReorderingSeen && (_inRecovery || _scoreboard.SackedBytes >= DupAckThreshold * EffectiveMss)) return 0;
        long minRtt = _scoreboard.MinRttMs == long.MaxValue ? _rtt.SmoothedRtt : _scoreboard.MinRttMs;
        // The unit is a quarter of the minimum RTT, but never under the clock's tick (a sub-millisecond path reads 0).
        long window = Math.Max(MinReorderWindowMs, minRtt / 4) * _reorderWindowMultiplier;
        if (_rtt.HasSample) window = Math.Min(window, _rtt.SmoothedRtt);
        return Math.Max(MinReorderWindowMs, window);
    }

    /// <summary>New losses were found: the window shrinks, once per window of data (RFC 6675 5, RFC 6582 4.1 after an RTO).</summary>
    private void OnLossesDetected(long nowMs)
    {
        _host.RequestOutput(this);
        if (_inRecovery || Seq.Lt(_sndUna, _recoveryPoint)) return;
        if (++_recoveriesWithoutDsack >= ReorderWindowPersist)
        {
            _recoveriesWithoutDsack = 0;
            _reorderWindowMultiplier = 1;
        }
        _counters.Increment(NetstackCounter.TcpRecoveries);
        _inRecovery = true;
        _recoveryPoint = _sndMax;
        _retransmitFirstHole = true;
        _timing = false;
        ArmUndo();
        _congestion.OnLossDetected((int)(_sndMax - _sndUna), nowMs);
    }

    /// <summary>
    /// Sends the first segment deemed lost when the pipe leaves room for it (the first of a recovery at once, RFC 6675 5
    /// step C): the packet length; 0 when none is lost; -1 when one waits for room (then no new data goes either).
    /// </summary>
    private int TryRetransmitLost(Span<byte> packet, long nowMs, int pipe)
    {
        if (!_scoreboard.TryFirstLost(out uint start, out uint end, out bool fin)) return 0;
        if (!_retransmitFirstHole && pipe + (int)(end - start) > _congestion.Cwnd) return -1;
        _retransmitFirstHole = false;
        int n = Retransmit(packet, nowMs, start, end, fin);
        return n > 0 ? n : -1;
    }

    /// <summary>Sends the recorded segment [start, end) again, exactly as it went the first time.</summary>
    private int Retransmit(Span<byte> packet, long nowMs, uint start, uint end, bool fin)
    {
        int payload = (int)(end - start) - (fin ? 1 : 0);
        byte flags = TcpFlags.Ack;
        if (fin) flags |= TcpFlags.Fin;
        int n = WriteSegment(packet, nowMs, start, flags, (int)(start - _sendBufferSeq), payload, syn: false);
        if (n == 0) return 0;
        _scoreboard.OnRetransmitted(start, nowMs);
        TrackRetransmissionForUndo(start);
        _counters.Increment(NetstackCounter.TcpRetransmits);
        _timing = false; // Karn: no RTT sample from a segment sent twice
        if (_rtxDeadline == 0) _rtxDeadline = nowMs + _rtt.Rto;
        return n;
    }

    /// <summary>
    /// The probe timeout (RFC 8985 7.2): 2·SRTT (plus the worst-case delayed ACK when one segment is out), before the RTO,
    /// while data is in flight, SACK is on, nothing is known lost and no probe is out already.
    /// </summary>
    private void ArmLossProbe(long nowMs)
    {
        _lossProbeDeadline = 0;
        if (!_sackOk || _inRecovery || _lossProbeOutstanding || _scoreboard.LostBytes > 0 || _sndMax == _sndUna || !_rtt.HasSample) return;
        long timeout = 2 * _rtt.SmoothedRtt;
        if (_sndMax - _sndUna <= (uint)EffectiveMss + 1) timeout += WorstCaseDelayedAckMs;
        long deadline = nowMs + Math.Max(MinLossProbeMs, timeout);
        if (_rtxDeadline != 0 && deadline >= _rtxDeadline) return;
        _lossProbeDeadline = deadline;
    }

    /// <summary>A loss probe is pending and no new data could carry it: the highest segment not SACKed goes again (RFC 8985 7.3).</summary>
    private int TrySendLossProbe(Span<byte> packet, long nowMs)
    {
        if (!_lossProbePending) return 0;
        _lossProbePending = false;
        if (!_scoreboard.TryLast(out uint start, out uint end, out bool fin)) return 0;
        int n = Retransmit(packet, nowMs, start, end, fin);
        if (n > 0) OnLossProbeSent(nowMs);
        return n;
    }

    private long _lossProbesSent, _retransmissionTimeouts;

    private string LossRecoveryDebugState() => $"markedLost={_scoreboard.MarkedLost} probes={_lossProbesSent} rtos={_retransmissionTimeouts} reorderSeen={_scoreboard.ReorderingSeen} minRtt={_scoreboard.MinRttMs} srtt={_rtt.SmoothedRtt}";

    private void OnLossProbeSent(long nowMs)
    {
        _lossProbesSent++;
        _counters.Increment(NetstackCounter.TcpLossProbes);
        _lossProbePending = false;
        _lossProbeOutstanding = true;
        _lossProbeDeadline = 0;
        _rtxDeadline = nowMs + _rtt.Rto; // RFC 8985 7.3: the RTO runs from the probe
    }

    /// <summary>The reordering and loss-probe timers (called from the connection's timer).</summary>
    private void OnLossRecoveryTimers(long nowMs)
    {
        if (_reorderDeadline != 0 && nowMs >= _reorderDeadline)
        {
            _reorderDeadline = 0;
            DetectLosses(nowMs);
        }
        if (_lossProbeDeadline != 0 && nowMs >= _lossProbeDeadline)
        {
            _lossProbeDeadline = 0;
            if (CanSendData && _sndMax != _sndUna && !_inRecovery)
            {
                _lossProbePending = true;
                _host.RequestOutput(this);
            }
        }
    }

    /// <summary>
    /// The retransmission timer expired with data in flight (RFC 5681 3.1, RFC 6582 4.1, RFC 8985 6.3): slow start from
    /// one segment, every segment not SACKed is lost and goes again in order from SND.UNA, no fast recovery for this window.
    /// </summary>
    private void OnDataRetransmissionTimeout(long nowMs)
    {
        _retransmissionTimeouts++;
        _counters.Increment(NetstackCounter.TcpRetransmissionTimeouts);
        ArmUndo();
        _congestion.OnRetransmissionTimeout((int)(_sndMax - _sndUna), nowMs);
        _inRecovery = false;
        _recoveryPoint = _sndMax;
        _dupAcks = 0;
        _lossProbePending = _lossProbeOutstanding = false;
        _lossProbeDeadline = _reorderDeadline = 0;
        _retransmitFirstHole = true;
        _timing = false;
        if (_scoreboard.Count > 0) _scoreboard.OnRetransmissionTimeout();
        else _sndNxt = _sndUna; // nothing recorded (cannot happen for data): send again from SND.UNA
    }
}
