using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Tcp;

/// <summary>TCP connection states (RFC 9293 3.3.2); LISTEN lives in <see cref="TcpListenerSocket"/>.</summary>
internal enum TcpState
{
    Closed,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

/// <summary>
/// One TCP connection (its TCB, RFC 9293). The application side is non-blocking and thread-safe; waiting is done on the
/// three <see cref="AsyncSignal"/>s, which the connection sets whenever what the signal is about may have changed.
/// Why one class this long (about 1,200 lines plus its loss-recovery part): the TCB is one state machine whose fields
/// every step reads and writes under one lock (a segment's arrival touches sending, receiving, timers and recovery at
/// once). It is split by concern into partial files, and whatever has state of its own is a class of its own
/// (ChunkedBuffer, SendScoreboard, RttEstimator, CongestionControl, SackBlockReporter).
/// </summary>
internal sealed partial class TcpConnection : StackSocket
{
    private const int DupAckThreshold = 3;
    private const int DefaultIPv4Mss = 536, DefaultIPv6Mss = 1220; // RFC 9293 3.7.1 / RFC 8200 when the peer sends no MSS

    private readonly TcpLayer _layer;
    private readonly INetstackHost _host;
    private readonly TcpSettings _settings;
    private readonly NetstackCounters _counters;
    private readonly Lock _lock = new();
    private TcpListenerSocket? _listener; // a passive connection until it is accepted (or dropped)

    private TcpState _state;
    private SocketError _error = SocketError.Success;
    private SocketError _softError = SocketError.Success; // an ICMP soft error, reported if we later time out
    private bool _removed;

    // Send sequence space (RFC 9293 3.3.1). _sndMax: the highest sequence sent (SND.NXT rewinds after an RTO).
    private uint _iss, _sndUna, _sndNxt, _sndMax, _sndWl1, _sndWl2;
    private int _sndWnd, _maxSndWnd, _sndScale;
    private readonly ChunkedBuffer _sendBuffer;
    private uint _sendBufferSeq;           // the sequence number of the send buffer's first byte
    private bool _finQueued, _finSent;
    private bool _synPending;              // the SYN (or SYN-ACK) is to be (re)sent

    // Receive sequence space. _rcvReadSeq: sequence number of the receive buffer's first (unread) byte.
    private uint _irs, _rcvNxt, _rcvReadSeq, _rcvAdvertisedRight;
    private int _rcvScale;
    private readonly ChunkedBuffer _receiveBuffer;
    private readonly SeqRangeSet _outOfOrder = new();
    private readonly SackBlockReporter _sackReporter = new();
    private bool _finReceived;
    // Closed after the peer's FIN arrived (TIME_WAIT over, or an RST in CLOSING/LAST_ACK/TIME_WAIT): the peer's stream
    // was complete, so the bytes before its FIN stay readable until the application reads or closes.
    private bool _unreadKept;
    private bool _outOfOrderFin;
    private uint _outOfOrderFinSeq;
    // A duplicate segment to report in the next ACK's first SACK block (RFC 2883 DSACK): the sender learns that a
    // retransmission was spurious, so it can undo its window cut and widen its reordering window.
    private bool _dsackPending;
    private uint _dsackStart, _dsackEnd;
    private int _segmentsSinceAck;

    // Options (RFC 7323, RFC 2018).
    private int _sendMss;                  // payload bytes per segment we send (options excluded)
    private readonly int _receiveMss;      // what we announce
    private bool _sackOk, _timestampsOk, _peerOfferedWindowScale;
    private uint _tsRecent, _tsOffset;

    // Timers (absolute ms; 0 = off).
    private long _rtxDeadline, _delayedAckDeadline, _persistDeadline, _timeWaitDeadline;
    private int _retries, _persistBackoff;
    private long _lastReceiveMs;
    private int _keepAliveProbesSent;
    private bool _keepAlive, _noDelay;

    // Output requests.
    private bool _ackNow, _probePending, _forceSend;
    // Out-of-order arrivals each owe the sender their own duplicate ACK (its fast retransmit counts them), even when
    // several arrive before the reader thread pulls our output.
    private int _duplicateAcksOwed;

    // RTT (RFC 6298) and Karn's rule when there are no timestamps.
    private readonly RttEstimator _rtt;
    private bool _timing;
    private uint _timedSeq;
    private long _timedSentMs;

    // Congestion control and loss recovery (RFC 5681, 6582, 6675, 8985): TcpConnection.LossRecovery.cs.
    private readonly CongestionControl _congestion;
    private readonly SendScoreboard _scoreboard;
    private int _dupAcks;
    private bool _inRecovery, _retransmitFirstHole, _lossProbePending;
    private uint _recoveryPoint;
    private long _reorderDeadline, _lossProbeDeadline;

    private bool _appClosed;

    internal TcpConnection(TcpLayer layer, INetstackHost host, TcpSettings settings, UdpEndpoint local, UdpEndpoint remote, uint iss, uint tsOffset)
    {
        _layer = layer;
        _host = host;
        _settings = settings;
        _counters = host.Counters;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        _iss = iss;
        _tsOffset = tsOffset;
        _sndUna = _sndNxt = _sndMax = _recoveryPoint = iss;
        _sendBufferSeq = iss + 1;
        _receiveMss = Math.Max(536, host.Mtu - (local.IsIPv4 ? 40 : 60));
        _sendMss = local.IsIPv4 ? DefaultIPv4Mss : DefaultIPv6Mss;
        _sendMss = Math.Min(_sendMss, _receiveMss);
        while (_rcvScale < 14 && settings.ReceiveBufferSize >> _rcvScale > 65535) _rcvScale++;
        _sendBuffer = new ChunkedBuffer(settings.SendBufferSize);
        _receiveBuffer = new ChunkedBuffer(settings.ReceiveBufferSize + (1 << 14) + 1);
        _rtt = new RttEstimator((long)settings.InitialRto.TotalMilliseconds, (long)settings.MinRto.TotalMilliseconds, (long)settings.MaxRto.TotalMilliseconds);
        _congestion = CongestionControl.Create(settings.CongestionControl, _sendMss);
        _scoreboard = new SendScoreboard(settings.SendBufferSize / 600 + 16);
        _lastReceiveMs = host.NowMs;
    }

    internal ConnectionKey Key => new(LocalEndPoint, RemoteEndPoint);

    public UdpEndpoint LocalEndPoint { get; }
    public UdpEndpoint RemoteEndPoint { get; }

    /// <summary>Established (or later, with the handshake done).</summary>
    public bool IsEstablished
    {
        get { lock (_lock) return _state >= TcpState.Established && _error == SocketError.Success; }
    }

    /// <summary>The state (tests and diagnostics).</summary>
    internal TcpState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>
    /// Success while the connection is fine; once it failed: ConnectionRefused (RST to our SYN), TimedOut (retries or
    /// keepalive exhausted), ConnectionReset (RST), HostUnreachable/NetworkUnreachable (ICMP), ConnectionAborted (Abort or stack gone).
    /// </summary>
    public SocketError Error
    {
        get { lock (_lock) return _error; }
    }

    /// <summary>Set on established or failed (active open).</summary>
    public AsyncSignal ConnectSignal { get; } = new();

    /// <summary>Set when data, FIN or an error arrives.</summary>
    public AsyncSignal ReceiveSignal { get; } = new();

    /// <summary>Set when send-buffer space frees up or an error happens.</summary>
    public AsyncSignal SendSignal { get; } = new();

    /// <summary>Chunks both buffers hold now (memory checks).</summary>
    internal int BufferChunksHeld
    {
        get { lock (_lock) return _sendBuffer.ChunksHeld + _receiveBuffer.ChunksHeld; }
    }

    /// <summary>The congestion window (tests).</summary>
    internal int CongestionWindow
    {
        get { lock (_lock) return _congestion.Cwnd; }
    }

    internal string DebugState()
    {
        lock (_lock)
            return $"{_state} una={_sndUna} nxt={_sndNxt} max={_sndMax} bufSeq={_sendBufferSeq} ext={_sendBuffer.Extent} wnd={_sndWnd} cwnd={_congestion.Cwnd} rec={_inRecovery} sacked={_scoreboard.SackedBytes} lost={_scoreboard.LostBytes} fin={_finQueued} rtx={_rtxDeadline} persist={_persistDeadline} {LossRecoveryDebugState()}";
    }

    internal uint ReceiveNext { get { lock (_lock) return _rcvNxt; } }
    internal uint SendNext { get { lock (_lock) return _sndNxt; } }
    internal uint SendUnacknowledged { get { lock (_lock) return _sndUna; } }
    internal int SendWindow { get { lock (_lock) return _sndWnd; } }
    internal bool SackEnabled { get { lock (_lock) return _sackOk; } }
    internal bool TimestampsEnabled { get { lock (_lock) return _timestampsOk; } }
    internal int SendWindowScale { get { lock (_lock) return _sndScale; } }
    internal int ReceiveWindowScale { get { lock (_lock) return _rcvScale; } }
    internal int SendMss { get { lock (_lock) return _sendMss; } }

    /// <summary>Nagle off (RFC 9293 3.7.4): send small segments at once.</summary>
    public bool NoDelay
    {
        get { lock (_lock) return _noDelay; }
        set
        {
            lock (_lock)
            {
                _noDelay = value;
                if (value && _sendBuffer.Extent > 0) _host.RequestOutput(this);
            }
        }
    }

    /// <summary>Keepalive probes per <see cref="TcpSettings"/> (RFC 9293 3.8.4); off by default.</summary>
    public bool KeepAlive
    {
        get { lock (_lock) return _keepAlive; }
        set
        {
            lock (_lock)
            {
                _keepAlive = value;
                _keepAliveProbesSent = 0;
                ArmTimer();
            }
        }
    }

    // ---------------------------------------------------------------- opening

    /// <summary>Active open: the SYN goes out at once.</summary>
    internal void StartConnect()
    {
        lock (_lock)
        {
            _state = TcpState.SynSent;
            _synPending = true;
            _host.RequestOutput(this);
        }
    }

    /// <summary>Passive open from a listener's SYN: answer with SYN-ACK.</summary>
    internal void StartPassive(TcpListenerSocket listener, in TcpSegment syn)
    {
        lock (_lock)
        {
            _listener = listener;
            _state = TcpState.SynReceived;
            _irs = syn.Seq;
            _rcvNxt = _rcvReadSeq = syn.Seq + 1;
            _rcvAdvertisedRight = _rcvNxt + (uint)Math.Min(_settings.ReceiveBufferSize, 65535);
            TakeSynOptions(syn, _host.NowMs);
            _sndWnd = syn.Window; // a SYN's window is never scaled
            _maxSndWnd = _sndWnd;
            _sndWl1 = syn.Seq;
            _sndWl2 = _iss;
            _synPending = true;
            _host.RequestOutput(this);
        }
    }

    private void TakeSynOptions(in TcpSegment syn, long nowMs)
    {
        int peerMss = syn.Mss > 0 ? syn.Mss : LocalEndPoint.IsIPv4 ? DefaultIPv4Mss : DefaultIPv6Mss;
        _sendMss = Math.Max(64, Math.Min(peerMss, _receiveMss));
        _peerOfferedWindowScale = syn.WindowScale >= 0;
        if (_peerOfferedWindowScale) _sndScale = syn.WindowScale;
        else _rcvScale = 0; // RFC 7323 2.2: both sides must send the option, else neither scales
        _sackOk = syn.SackPermitted && _settings.Sack;
        _timestampsOk = syn.HasTimestamps;
        if (_timestampsOk) _tsRecent = syn.TsVal;
        _congestion.SetMss(EffectiveMss);
        _lastReceiveMs = nowMs;
    }

    /// <summary>Payload bytes per full segment: the MSS less the options every segment carries.</summary>
    private int EffectiveMss => Math.Max(32, _sendMss - (_timestampsOk ? 12 : 0));

    // ---------------------------------------------------------------- application side

    /// <summary>
    /// Copies received in-order bytes into <paramref name="destination"/>: the count (&gt; 0); 0 at end of stream (FIN received
    /// and everything before it read); -1 when nothing is there yet (wait on <see cref="ReceiveSignal"/>); -2 when the
    /// connection failed (see <see cref="Error"/>). Reading opens the window (a window update goes out when it grew enough).
    /// </summary>
    public int Receive(Span<byte> destination)
    {
        lock (_lock)
        {
            if (_error != SocketError.Success) return -2;
            int available = ReadableBytes;
            if (available > 0)
            {
                if (destination.Length == 0) return -1;
                int n = Math.Min(available, destination.Length);
                _receiveBuffer.Read(0, destination[..n]);
                _receiveBuffer.Consume(n);
                _rcvReadSeq += (uint)n;
                if (_unreadKept && ReadableBytes == 0) _unreadKept = false; // the kept bytes are read: the buffer emptied itself
                MaybeSendWindowUpdate();
                return n;
            }
            if (_finReceived) return 0;
            return -1;
        }
    }

    // Wake-ups of the application (under the TCB lock). Data arriving in a burst (one received batch) wakes the reader
    // once at the burst's end, not per segment; freed send space wakes a waiting writer only once a quarter of the
    // buffer is free, so it refills in large writes instead of one per ACK.
    private bool _receiveWakeDeferred, _sendWakeDeferred;

    private void WakeReceiver()
    {
        if (_host.DeferWake(this)) _receiveWakeDeferred = true;
        else ReceiveSignal.Set();
    }

    private void WakeSenderIfRoom()
    {
        if (_sendBuffer.Capacity - _sendBuffer.Extent < _sendBuffer.Capacity / 4) return;
        if (_host.DeferWake(this)) _sendWakeDeferred = true;
        else SendSignal.Set();
    }

    public override void OnBurstEnd()
    {
        bool receive, send;
        lock (_lock)
        {
            receive = _receiveWakeDeferred;
            send = _sendWakeDeferred;
            _receiveWakeDeferred = _sendWakeDeferred = false;
        }
        // No lock held here, on the thread that delivered the burst: the waiters may run inline (InlineCompletions).
        bool inline = _settings.InlineCompletions;
        if (receive) ReceiveSignal.Set(inline);
        if (send) SendSignal.Set(inline);
    }

    /// <summary>In-order bytes received and not yet read (the FIN's sequence number excluded).</summary>
    private int ReadableBytes
    {
        get
        {
            if (_state is TcpState.SynSent or TcpState.SynReceived) return 0;
            if (_state == TcpState.Closed && !_unreadKept) return 0;
            int n = (int)(_rcvNxt - _rcvReadSeq) - (_finReceived ? 1 : 0);
            return Math.Max(0, n);
        }
    }

    private void MaybeSendWindowUpdate()
    {
        if (_state is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)) return;
        uint newRight = _rcvReadSeq + (uint)_settings.ReceiveBufferSize;
        int opened = (int)(newRight - _rcvAdvertisedRight);
        int threshold = Math.Min(2 * _receiveMss, _settings.ReceiveBufferSize / 2);
        if (opened >= threshold)
        {
            _ackNow = true;
            _host.RequestOutput(this);
        }
    }

    /// <summary>
    /// Queues bytes of <paramref name="source"/> for sending: how many were taken (&gt; 0, maybe fewer than offered); -1 when the
    /// send buffer is full (wait on <see cref="SendSignal"/>); -2 when the connection failed or was shut down for sending.
    /// </summary>
    public int Send(ReadOnlySpan<byte> source)
    {
        lock (_lock)
        {
            if (_error != SocketError.Success || _finQueued || _state == TcpState.Closed) return -2;
            if (source.Length == 0) return 0;
            int n = _sendBuffer.Append(source);
            if (n == 0) return -1;
            if (_state >= TcpState.Established) _host.RequestOutput(this);
            return n;
        }
    }

    /// <summary>Half-close: FIN after everything queued. Receiving goes on.</summary>
    public void ShutdownSend()
    {
        lock (_lock) ShutdownSendLocked();
    }

    private void ShutdownSendLocked()
    {
        if (_finQueued || _error != SocketError.Success) return;
        switch (_state)
        {
            case TcpState.SynSent:
                _finQueued = true; // sent once established
                return;
            case TcpState.SynReceived:
            case TcpState.Established:
                _finQueued = true;
                _state = _state == TcpState.SynReceived ? TcpState.SynReceived : TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                _finQueued = true;
                _state = TcpState.LastAck;
                break;
            default:
                return;
        }
        _host.RequestOutput(this);
    }

    /// <summary>
    /// The application is done with the connection: FIN after everything queued (RST instead when received data was left
    /// unread, RFC 9293 3.10.4 / RFC 2525), and the stack finishes the close by itself (FIN_WAIT, TIME_WAIT).
    /// </summary>
    public void Close()
    {
        bool abort;
        lock (_lock)
        {
            if (_appClosed) return;
            _appClosed = true;
            if (_error != SocketError.Success || _state == TcpState.Closed)
            {
                if (_unreadKept) { _unreadKept = false; _receiveBuffer.Clear(); }
                RemoveLocked();
                return;
            }
            abort = ReadableBytes > 0 || _outOfOrder.Count > 0 || _state == TcpState.SynSent;
            if (!abort)
            {
                ShutdownSendLocked();
                ArmTimer();
                return;
            }
        }
        ResetAndFail(SocketError.ConnectionAborted);
    }

    /// <summary>Resets the connection now (RST) and fails it with ConnectionAborted.</summary>
    public void Abort() => ResetAndFail(SocketError.ConnectionAborted);

    private void ResetAndFail(SocketError error)
    {
        lock (_lock)
        {
            if (_state == TcpState.Closed) { RemoveLocked(); return; }
            if (_state != TcpState.SynSent && _state != TcpState.TimeWait)
                SendResetLocked(_sndNxt);
            FailLocked(error);
        }
    }

    // ---------------------------------------------------------------- segment arrival (RFC 9293 3.10.7)

    /// <summary>A segment for this connection (checksum already verified).</summary>
    internal void OnSegment(in TcpSegment segment, long nowMs)
    {
        lock (_lock)
        {
            switch (_state)
            {
                case TcpState.Closed: return;
                case TcpState.SynSent: OnSegmentInSynSent(segment, nowMs); break;
                default: OnSegmentSynchronized(segment, nowMs); break;
            }
            ArmTimer();
        }
    }

    private void OnSegmentInSynSent(in TcpSegment segment, long nowMs)
    {
        bool hasAck = segment.Has(TcpFlags.Ack);
        if (hasAck && (Seq.Le(segment.Ack, _iss) || Seq.Gt(segment.Ack, _sndMax)))
        {
            if (!segment.Has(TcpFlags.Rst)) SendResetLocked(segment.Ack);
            return;
        }
        if (segment.Has(TcpFlags.Rst))
        {
            // RFC 9293: an RST is acceptable here only with an acceptable ACK.
            if (hasAck)
            {
                _counters.Increment(NetstackCounter.TcpResetsReceived);
                FailLocked(SocketError.ConnectionRefused);
            }
            return;
        }
        if (!segment.Has(TcpFlags.Syn) || !hasAck) return; // simultaneous open is refused: ignore a bare SYN
        _irs = segment.Seq;
        _rcvNxt = _rcvReadSeq = segment.Seq + 1;
        _rcvAdvertisedRight = _rcvNxt + (uint)Math.Min(_settings.ReceiveBufferSize, 65535);
        TakeSynOptions(segment, nowMs);
        _sndUna = segment.Ack;
        if (Seq.Gt(_sndUna, _sndNxt)) _sndNxt = _sndUna;
        _sndWnd = segment.Window; // not scaled in a SYN
        _maxSndWnd = _sndWnd;
        _sndWl1 = segment.Seq;
        _sndWl2 = segment.Ack;
        _synPending = false;
        if (_retries == 0 && !_timestampsOk && _timing) _rtt.AddSample(nowMs - _timedSentMs);
        else if (_timestampsOk && segment.TsEcr != 0) _rtt.AddSample(TsNow(nowMs) - segment.TsEcr);
        _timing = false;
        _retries = 0;
        _rtxDeadline = 0;
        _state = TcpState.Established;
        _counters.Increment(NetstackCounter.TcpConnectionsOpened);
        if (_finQueued) { _state = TcpState.FinWait1; }
        _ackNow = true;
        _host.RequestOutput(this);
        ConnectSignal.Set();
        SendSignal.Set();
    }

    private void OnSegmentSynchronized(in TcpSegment segment, long nowMs)
    {
        // 1. Sequence number check.
        uint segLen = (uint)segment.SegmentLength;
        if (!IsAcceptable(segment.Seq, segLen))
        {
            _counters.Increment(NetstackCounter.TcpOutOfWindow);
            if (segment.Payload.Length > 0) NoteDuplicate(segment.Seq, segment.Seq + (uint)segment.Payload.Length);
            if (!segment.Has(TcpFlags.Rst)) SendAckForUnacceptable(nowMs, segment.Has(TcpFlags.Syn));
            return;
        }
        _lastReceiveMs = nowMs;
        _keepAliveProbesSent = 0;

        // 2. RST (RFC 5961 3.2: only an exact one resets; another in the window gets a challenge ACK).
        if (segment.Has(TcpFlags.Rst))
        {
            if (segment.Seq != _rcvNxt)
            {
                SendChallengeAck(nowMs);
                return;
            }
            _counters.Increment(NetstackCounter.TcpResetsReceived);
            if (_state == TcpState.SynReceived) { FailLocked(SocketError.ConnectionRefused); return; }
            if (_state is TcpState.Closing or TcpState.LastAck or TcpState.TimeWait) { CloseAfterPeerFinishedLocked(); return; }
            FailLocked(SocketError.ConnectionReset);
            return;
        }

        // 3. SYN in a synchronized state (RFC 5961 4.2): challenge ACK.
        if (segment.Has(TcpFlags.Syn))
        {
            if (_state == TcpState.SynReceived && segment.Seq == _irs)
            {
                // The peer retransmitted its SYN: our SYN-ACK was lost.
                _synPending = true;
                _host.RequestOutput(this);
                return;
            }
            SendChallengeAck(nowMs);
            return;
        }

        // 4. ACK.
        if (!segment.Has(TcpFlags.Ack)) return;

        if (_timestampsOk && segment.HasTimestamps && Seq.Le(segment.Seq, _rcvNxt) && (int)(segment.TsVal - _tsRecent) >= 0)
            _tsRecent = segment.TsVal;

        if (_state == TcpState.SynReceived)
        {
            if (Seq.Le(segment.Ack, _iss) || Seq.Gt(segment.Ack, _sndMax))
            {
                SendResetLocked(segment.Ack);
                return;
            }
            _synPending = false;
            _retries = 0;
            _state = _finQueued ? TcpState.FinWait1 : TcpState.Established;
            _sndWnd = segment.Window << _sndScale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = segment.Seq;
            _sndWl2 = segment.Ack;
            var listener = _listener;
            _listener = null;
            if (listener != null && !listener.TryEnqueue(this))
            {
                _counters.Increment(NetstackCounter.TcpAcceptQueueFull);
                SendResetLocked(segment.Ack);
                FailLocked(SocketError.ConnectionReset);
                return;
            }
        }

        if (!ProcessAck(segment, nowMs)) return;
        if (_state == TcpState.Closed) return;

        // 5. Data.
        if (segment.Payload.Length > 0)
        {
            if (_state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
            {
                if (_appClosed)
                {
                    // Nobody will read it (RFC 9293 3.10.4 / RFC 2525): reset.
                    SendResetLocked(_sndNxt);
                    FailLocked(SocketError.ConnectionAborted);
                    return;
                }
                ProcessData(segment.Seq, segment.Payload, nowMs);
            }
        }

        // 6. FIN.
        if (segment.Has(TcpFlags.Fin))
        {
            uint finSeq = segment.Seq + (uint)segment.Payload.Length;
            if (finSeq == _rcvNxt) AcceptFin(nowMs);
            else if (Seq.Gt(finSeq, _rcvNxt) && !_finReceived) { _outOfOrderFin = true; _outOfOrderFinSeq = finSeq; _ackNow = true; }
            else _ackNow = true; // a retransmitted FIN: ACK it again
        }
        if (_ackNow) _host.RequestOutput(this);
    }

    private bool IsAcceptable(uint seq, uint segLen)
    {
        uint window = Seq.Gt(_rcvAdvertisedRight, _rcvNxt) ? _rcvAdvertisedRight - _rcvNxt : 0;
        if (segLen == 0)
            return window == 0 ? seq == _rcvNxt : Seq.InRange(seq, _rcvNxt, _rcvNxt + window);
        if (window == 0) return false;
        return Seq.InRange(seq, _rcvNxt, _rcvNxt + window) || Seq.InRange(seq + segLen - 1, _rcvNxt, _rcvNxt + window);
    }

    private void SendAckForUnacceptable(long nowMs, bool isSyn)
    {
        if (isSyn) { SendChallengeAck(nowMs); return; }
        _ackNow = true;
        _host.RequestOutput(this);
    }

    private void SendChallengeAck(long nowMs)
    {
        if (!_layer.ChallengeAcks.TryTake(nowMs))
        {
            _counters.Increment(NetstackCounter.TcpChallengeAcksLimited);
            return;
        }
        _counters.Increment(NetstackCounter.TcpChallengeAcksSent);
        _ackNow = true;
        _host.RequestOutput(this);
    }

    /// <summary>The ACK field of a segment (RFC 9293 3.10.7.4 fifth, RFC 5961 5); false when the segment is to be dropped.</summary>
    private bool ProcessAck(in TcpSegment segment, long nowMs)
    {
        uint ack = segment.Ack;
        // RFC 5961 5.2: acceptable ACKs are in [SND.UNA - MAX.SND.WND, SND.MAX].
        if (Seq.Gt(ack, _sndMax) || Seq.Lt(ack, _sndUna - (uint)Math.Max(_maxSndWnd, 1)))
        {
            _counters.Increment(NetstackCounter.TcpOutOfWindow);
            SendChallengeAck(nowMs);
            return false;
        }

        // Window update (RFC 9293: SND.WL1/SND.WL2 guard against old segments).
        bool windowChanged = false;
        if (Seq.Lt(_sndWl1, segment.Seq) || (_sndWl1 == segment.Seq && Seq.Le(_sndWl2, ack)))
        {
            int window = segment.Window << _sndScale;
            windowChanged = window != _sndWnd;
            bool opened = window > _sndWnd;
            _sndWnd = window;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            _sndWl1 = segment.Seq;
            _sndWl2 = ack;
            if (opened)
            {
                _persistDeadline = 0;
                _persistBackoff = 0;
                _host.RequestOutput(this);
            }
        }

        if (_sackOk && segment.SackCount > 0) TakeSackBlocks(segment, nowMs);

        if (Seq.Gt(ack, _sndUna))
        {
            OnNewAck(ack, segment, nowMs);
        }
        else if (ack == _sndUna && _sndMax != _sndUna && segment.Payload.Length == 0 && !windowChanged
                 && !segment.Has(TcpFlags.Fin) && !segment.Has(TcpFlags.Syn))
        {
            OnDuplicateAck(nowMs);
        }
        DetectLosses(nowMs);
        return true;
    }

    /// <summary>
    /// RFC 2883 4: the first SACK block is a DSACK (data that arrived twice) when it lies at or below the cumulative ACK,
    /// or inside the second block.
    /// </summary>
    private static bool FirstBlockIsDuplicateSack(in TcpSegment segment)
    {
        uint start = segment.Sacks[0], end = segment.Sacks[1];
        if (!Seq.Lt(start, end)) return false;
        return Seq.Le(end, segment.Ack) || (segment.SackCount > 1 && Seq.Ge(start, segment.Sacks[2]) && Seq.Le(end, segment.Sacks[3]));
    }

    private void TakeSackBlocks(in TcpSegment segment, long nowMs)
    {
        if (FirstBlockIsDuplicateSack(segment)) OnDuplicateSack(segment.Ack, segment.Sacks[0], segment.Sacks[1]);
        for (int i = 0; i < segment.SackCount; i++)
        {
            uint start = segment.Sacks[i * 2], end = segment.Sacks[i * 2 + 1];
            // Only blocks within what is outstanding (RFC 2018 / RFC 6675: others are stale or bogus).
            if (!Seq.Lt(start, end) || Seq.Le(end, _sndUna) || Seq.Gt(end, _sndMax)) continue;
            _scoreboard.OnSackBlock(Seq.Max(start, _sndUna), end, nowMs);
        }
    }

    private void OnNewAck(uint ack, in TcpSegment segment, long nowMs)
    {
        int acked = (int)(ack - _sndUna);
        // RTT: timestamps (RFC 7323 4.1) or the one timed segment (Karn: never a retransmitted one).
        if (_timestampsOk && segment.HasTimestamps && segment.TsEcr != 0)
            _rtt.AddSample(Math.Max(0, (int)(TsNow(nowMs) - segment.TsEcr)));
        else if (_timing && Seq.Gt(ack, _timedSeq))
        {
            _rtt.AddSample(nowMs - _timedSentMs);
            _timing = false;
        }
        _rtt.ResetBackoff();
        _retries = 0;

        // Free the acknowledged bytes (the SYN and FIN occupy sequence space but no buffer).
        uint dataEnd = _sendBufferSeq + (uint)_sendBuffer.Extent;
        uint freedTo = Seq.Min(ack, dataEnd);
        if (Seq.Gt(freedTo, _sendBufferSeq))
        {
            int freed = (int)(freedTo - _sendBufferSeq);
            _sendBuffer.Consume(freed);
            _sendBufferSeq = freedTo;
            WakeSenderIfRoom();
        }
        _sndUna = ack;
        if (Seq.Lt(_sndNxt, _sndUna)) _sndNxt = _sndUna;
        _scoreboard.OnCumulativeAck(ack, nowMs);
        OnNewAckForRecovery(ack, acked, nowMs);

        // FIN acknowledged?
        if (_finSent && ack == dataEnd + 1)
        {
            switch (_state)
            {
                case TcpState.FinWait1: _state = TcpState.FinWait2; break;
                case TcpState.Closing: EnterTimeWait(nowMs); break;
                case TcpState.LastAck:
                    _state = TcpState.Closed;
                    RemoveLocked();
                    return;
            }
        }

        // RFC 6298 5.2/5.3: stop the timer when all is ACKed, else restart it.
        _rtxDeadline = _sndUna == _sndMax ? 0 : nowMs + _rtt.Rto;
        _host.RequestOutput(this);
    }

    private void ProcessData(uint seq, ReadOnlySpan<byte> data, long nowMs)
    {
        // Trim what we already have, and what lies past the window we advertised.
        if (Seq.Lt(seq, _rcvNxt))
        {
            int skip = (int)(_rcvNxt - seq);
            NoteDuplicate(seq, seq + (uint)Math.Min(skip, data.Length));
            if (skip >= data.Length) { _ackNow = true; return; } // a duplicate: ACK so the sender learns
            data = data[skip..];
            seq = _rcvNxt;
        }
        uint right = Seq.Gt(_rcvAdvertisedRight, _rcvNxt) ? _rcvAdvertisedRight : _rcvNxt;
        int room = (int)(right - seq);
        if (room <= 0) { _ackNow = true; return; }
        if (data.Length > room) data = data[..room];

        int offset = (int)(seq - _rcvReadSeq);
        if (seq == _rcvNxt)
        {
            _receiveBuffer.Write(offset, data);
            _rcvNxt += (uint)data.Length;
            bool filledHole = _outOfOrder.Count > 0;
            // Out-of-order data the new bytes reach becomes in order.
            while (_outOfOrder.Count > 0 && Seq.Le(_outOfOrder.Start(0), _rcvNxt))
            {
                _rcvNxt = Seq.Max(_rcvNxt, _outOfOrder.End(0));
                _outOfOrder.RemoveBefore(_outOfOrder.End(0));
            }
            if (_outOfOrderFin && _outOfOrderFinSeq == _rcvNxt) { _outOfOrderFin = false; AcceptFin(nowMs); }
            if (filledHole) { _ackNow = true; _duplicateAcksOwed = 0; }
            else if (++_segmentsSinceAck >= 2) _ackNow = true;
            else if (_delayedAckDeadline == 0) _delayedAckDeadline = nowMs + (long)_settings.DelayedAck.TotalMilliseconds;
            WakeReceiver();
        }
        else
        {
            // Out of order (RFC 9293 3.10.7.4: keep it, ACK at once so the sender can fast-retransmit).
            long held = _outOfOrder.Bytes;
            if (held + data.Length > _settings.MaxOutOfOrderBytes || !_outOfOrder.Add(seq, seq + (uint)data.Length))
            {
                _counters.Increment(NetstackCounter.TcpOutOfOrderDropped);
                _ackNow = true;
                return;
            }
            _receiveBuffer.Write(offset, data);
            _counters.Increment(NetstackCounter.TcpOutOfOrderSegments);
            _sackReporter.OnArrival(seq, _outOfOrder);
            _ackNow = true;
            if (_duplicateAcksOwed < 8) _duplicateAcksOwed++;
        }
    }

    /// <summary>Data below RCV.NXT arrived again: reported once as a DSACK block (only data we did receive, within one buffer back).</summary>
    private void NoteDuplicate(uint start, uint end)
    {
        if (!_sackOk || !Seq.Lt(start, end) || Seq.Gt(end, _rcvNxt) || Seq.Lt(start, _rcvNxt - (uint)_settings.ReceiveBufferSize)) return;
        _dsackPending = true;
        _dsackStart = start;
        _dsackEnd = end;
    }

    private void AcceptFin(long nowMs)
    {
        if (_finReceived) { _ackNow = true; return; }
        _finReceived = true;
        _rcvNxt++;
        _ackNow = true;
        switch (_state)
        {
            case TcpState.SynReceived:
            case TcpState.Established: _state = TcpState.CloseWait; break;
            case TcpState.FinWait1:
                // Our FIN not ACKed yet (else we would be in FIN_WAIT_2): simultaneous close.
                _state = TcpState.Closing;
                break;
            case TcpState.FinWait2: EnterTimeWait(nowMs); break;
        }
        ReceiveSignal.Set();
    }

    private void EnterTimeWait(long nowMs)
    {
        _state = TcpState.TimeWait;
        _timeWaitDeadline = nowMs + Math.Max(1, (long)_settings.TimeWait.TotalMilliseconds);
        _rtxDeadline = 0;
        _persistDeadline = 0;
        _delayedAckDeadline = 0;
        _reorderDeadline = _lossProbeDeadline = 0;
        _sendBuffer.Clear();
        _scoreboard.Release();
        // Not the receive buffer: the application may not have read everything before the FIN yet (it frees its chunks
        // as it reads; the rest goes when the connection is removed).
        ReleaseListenerSlot();
    }

    // ---------------------------------------------------------------- ICMP

    /// <summary>An ICMP error quoting one of our segments (sequence number <paramref name="quotedSeq"/>).</summary>
    internal void OnIcmpError(uint quotedSeq, SocketError error, bool isHard)
    {
        lock (_lock)
        {
            if (_state == TcpState.Closed) return;
            // RFC 5927 4.1: only for data we have in flight.
            bool inFlight = _sndUna == _sndMax ? quotedSeq == _sndUna : Seq.InRange(quotedSeq, _sndUna, _sndMax);
            if (!inFlight) return;
            if (_state == TcpState.SynSent && isHard) { FailLocked(error); return; }
            _softError = error;
        }
    }

    // ---------------------------------------------------------------- output

    public override int Produce(Span<byte> packet, long nowMs)
    {
        lock (_lock)
        {
            int n = ProduceLocked(packet, nowMs);
            ArmTimer();
            return n;
        }
    }

    /// <summary>A run of segments under one lock and one timer update (not one of each per segment).</summary>
    public override int ProduceMany(PacketBatch batch, int first, int mtu, long nowMs)
    {
        lock (_lock)
        {
            int count = first;
            while (count < batch.Capacity)
            {
                int n = ProduceLocked(batch.PacketSpace(count)[..mtu], nowMs);
                if (n <= 0) break;
                batch.Lengths[count++] = n;
            }
            ArmTimer();
            return count - first;
        }
    }

    private int ProduceLocked(Span<byte> packet, long nowMs)
    {
        if (_state == TcpState.Closed) return 0;
        if (_state is TcpState.SynSent or TcpState.SynReceived)
        {
            if (!_synPending) return 0;
            _synPending = false;
            byte flags = _state == TcpState.SynSent ? TcpFlags.Syn : (byte)(TcpFlags.Syn | TcpFlags.Ack);
            if (_retries == 0) { _timing = true; _timedSeq = _iss; _timedSentMs = nowMs; }
            int n = WriteSegment(packet, nowMs, _iss, flags, 0, 0, syn: true);
            _sndNxt = _iss + 1;
            if (Seq.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
            if (_rtxDeadline == 0) _rtxDeadline = nowMs + _rtt.Rto;
            return n;
        }
        if (_state == TcpState.TimeWait)
        {
            if (!_ackNow) return 0;
            return WriteSegment(packet, nowMs, _sndNxt, TcpFlags.Ack, 0, 0, syn: false);
        }

        int produced = TryProduceData(packet, nowMs);
        if (produced > 0) return produced;

        if (_probePending)
        {
            _probePending = false;
            // A zero-window or keepalive probe: an old sequence number makes the peer answer with an ACK (RFC 9293 3.8.4).
            return WriteSegment(packet, nowMs, _sndUna - 1, TcpFlags.Ack, 0, 0, syn: false);
        }
        if (_ackNow || (_delayedAckDeadline != 0 && nowMs >= _delayedAckDeadline))
            return WriteSegment(packet, nowMs, _sndNxt, TcpFlags.Ack, 0, 0, syn: false);
        return 0;
    }

    private bool CanSendData => _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;

    private int TryProduceData(Span<byte> packet, long nowMs)
    {
        if (!CanSendData) return 0;
        int mss = EffectiveMss;
        uint dataEnd = _sendBufferSeq + (uint)_sendBuffer.Extent;
        int flight = Pipe();

        // 1. Segments deemed lost go first; while one waits for room, no new data goes (TcpConnection.LossRecovery.cs).
        int retransmitted = TryRetransmitLost(packet, nowMs, flight);
        if (retransmitted != 0) return Math.Max(0, retransmitted);

        // 2. New data from SND.NXT (SND.NXT never moves back: the scoreboard says what to send again).
        uint send = _sndNxt;
        int available = Seq.Gt(dataEnd, send) ? (int)(dataEnd - send) : 0;
        int cwndRoom = _congestion.Cwnd - flight;
        uint windowEdge = _sndUna + (uint)_sndWnd;
        int windowRoom = Seq.Gt(windowEdge, send) ? (int)(windowEdge - send) : 0;
        int length2 = Math.Min(Math.Min(available, mss), Math.Min(windowRoom, Math.Max(0, cwndRoom)));
        // A persist-timer send or a tail loss probe (RFC 8985 7.3: new data if the window allows) may exceed the cwnd.
        bool force = _forceSend || _lossProbePending;
        if (force && length2 == 0 && available > 0 && windowRoom > 0) length2 = Math.Min(Math.Min(available, mss), windowRoom);
        if (!_scoreboard.HasRoom) length2 = 0;

        if (length2 > 0 && length2 < mss && !force)
        {
            // Sender SWS avoidance and Nagle (RFC 9293 3.8.6.2.1, 3.7.4).
            bool allQueued = length2 == available;
            bool nothingUnacked = _sndMax == _sndUna;
            bool nagleAllows = _noDelay || nothingUnacked || _finQueued;
            bool bigEnough = _maxSndWnd > 0 && length2 >= _maxSndWnd / 2;
            if (!((allQueued && nagleAllows) || bigEnough)) length2 = 0;
        }

        // The FIN goes right after the last byte.
        bool fin = _finQueued && send + (uint)length2 == dataEnd && _scoreboard.HasRoom && (length2 > 0 || cwndRoom > 0 || flight == 0);

        if (length2 == 0 && !fin)
        {
            if (available > 0 && _sndMax == _sndUna && _persistDeadline == 0)
                _persistDeadline = nowMs + Math.Max(_rtt.Rto, 200);
            return TrySendLossProbe(packet, nowMs);
        }
        _forceSend = false;

        byte flags = TcpFlags.Ack;
        if (fin) flags |= TcpFlags.Fin;
        if (length2 > 0 && send + (uint)length2 == dataEnd) flags |= TcpFlags.Psh;
        int written = WriteSegment(packet, nowMs, send, flags, (int)(send - _sendBufferSeq), length2, syn: false);
        if (written == 0) return 0;
        int sentLength = _lastPayloadLength;
        bool finSent = fin && sentLength == length2;
        _sndNxt = send + (uint)sentLength + (finSent ? 1u : 0u);
        if (finSent) _finSent = true;
        _scoreboard.OnNewSegment(send, _sndNxt, nowMs, finSent);
        if (!_timing && sentLength > 0 && !_timestampsOk)
        {
            _timing = true;
            _timedSeq = send;
            _timedSentMs = nowMs;
        }
        if (Seq.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
        if (_rtxDeadline == 0) _rtxDeadline = nowMs + _rtt.Rto;
        _persistDeadline = 0;
        if (_lossProbePending) OnLossProbeSent(nowMs);
        else ArmLossProbe(nowMs);
        return written;
    }

    private int _lastPayloadLength;

    private uint TsNow(long nowMs) => (uint)nowMs + _tsOffset;

    /// <summary>Writes one segment (IP header included) with <paramref name="length"/> bytes from the send buffer at <paramref name="bufferOffset"/>.</summary>
    private int WriteSegment(Span<byte> packet, long nowMs, uint seq, byte flags, int bufferOffset, int length, bool syn)
    {
        var local = LocalEndPoint;
        var remote = RemoteEndPoint;
        int ipHeader = IpPacketWriter.HeaderLength(local.AddressSpan);

        Span<uint> sackBlocks = stackalloc uint[8];
        int sackCount = 0;

        bool isSynAck = syn && (flags & TcpFlags.Ack) != 0;
        uint window = AdvertisedWindow(syn);
        var fields = new TcpHeaderFields
        {
            SourcePort = local.Port,
            DestinationPort = remote.Port,
            Seq = seq,
            Ack = (flags & TcpFlags.Ack) != 0 ? _rcvNxt : 0,
            Flags = flags,
            Window = (ushort)window,
            Mss = syn ? _receiveMss : 0,
            WindowScale = syn && (!isSynAck || _peerOfferedWindowScale) ? _rcvScale : -1,
            SackPermitted = syn && _settings.Sack && (!isSynAck || _sackOk),
            HasTimestamps = syn ? (!isSynAck || _timestampsOk) : _timestampsOk,
            TsVal = TsNow(nowMs),
            TsEcr = syn && !isSynAck ? 0 : _tsRecent,
            SackBlocks = sackBlocks[..(sackCount * 2)],
        };
        bool dsack = !syn && _sackOk && _dsackPending;
        if (!syn && _sackOk && (_outOfOrder.Count > 0 || dsack))
        {
            // As many SACK blocks as fit beside the data: a segment sent again must carry all it carried the first time.
            int maxBlocks = _timestampsOk ? 3 : 4;
            while (maxBlocks > 0)
            {
                fields.SackBlocks = sackBlocks[..(maxBlocks * 2)];
                if (packet.Length - ipHeader - TcpSegmentWriter.HeaderLength(fields) >= length) break;
                maxBlocks--;
            }
            int first = 0;
            if (dsack && maxBlocks > 0)
            {
                // RFC 2883: the duplicate goes first, the usual blocks after it.
                sackBlocks[0] = _dsackStart;
                sackBlocks[1] = _dsackEnd;
                _dsackPending = false;
                _counters.Increment(NetstackCounter.TcpDuplicateSacksSent);
                first = 1;
            }
            sackCount = first + (maxBlocks > first && _outOfOrder.Count > 0 ? _sackReporter.Fill(sackBlocks[(first * 2)..], maxBlocks - first, _outOfOrder) : 0);
            fields.SackBlocks = sackBlocks[..(sackCount * 2)];
        }
        int tcpHeader = TcpSegmentWriter.HeaderLength(fields);
        int room = packet.Length - ipHeader - tcpHeader;
        if (room < 0) return 0;
        if (length > room)
        {
            length = room;
            fields.Flags &= unchecked((byte)~TcpFlags.Fin);
        }
        if (length > 0) _sendBuffer.Read(bufferOffset, packet.Slice(ipHeader + tcpHeader, length));
        _lastPayloadLength = length;
        int tcpLength = TcpSegmentWriter.Write(packet[ipHeader..], fields, length, local.AddressSpan, remote.AddressSpan);
        IpPacketWriter.WriteHeader(packet, local.AddressSpan, remote.AddressSpan, IpProtocol.Tcp, tcpLength);

        // Every segment carries our latest ACK and window.
        if ((flags & TcpFlags.Ack) != 0)
        {
            _ackNow = false;
            if (_duplicateAcksOwed > 0 && --_duplicateAcksOwed > 0) _ackNow = true;
            if (sackCount > 0 && _sackReporter.HasUnreported) _ackNow = true; // blocks this ACK had no room for
            _delayedAckDeadline = 0;
            _segmentsSinceAck = 0;
            uint right = _rcvNxt + (syn ? window : window << _rcvScale);
            if (Seq.Gt(right, _rcvAdvertisedRight)) _rcvAdvertisedRight = right;
        }
        return ipHeader + tcpLength;
    }

    /// <summary>The window field: free receive space, never moving the right edge back, rounded up to the scale unit.</summary>
    private uint AdvertisedWindow(bool syn)
    {
        uint right = _rcvReadSeq + (uint)_settings.ReceiveBufferSize;
        // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): do not move the right edge for a window smaller than min(MSS, buffer/2).
        if (!syn && Seq.Gt(right, _rcvAdvertisedRight) && (int)(right - _rcvNxt) < Math.Min(_receiveMss, _settings.ReceiveBufferSize / 2))
            right = _rcvAdvertisedRight;
        if (Seq.Gt(_rcvAdvertisedRight, right)) right = _rcvAdvertisedRight;
        uint window = Seq.Gt(right, _rcvNxt) ? right - _rcvNxt : 0;
        if (syn) return Math.Min(window, 65535u);
        int shift = _rcvScale;
        uint scaled = (uint)(((ulong)window + (1UL << shift) - 1) >> shift);
        return Math.Min(scaled, 65535u);
    }

    private void SendResetLocked(uint seq)
    {
        _counters.Increment(NetstackCounter.TcpResetsSent);
        TcpLayer.SendReset(_host, LocalEndPoint, RemoteEndPoint, seq, _rcvNxt, withAck: _state != TcpState.SynSent);
    }

    // ---------------------------------------------------------------- timers

    public override void OnTimer(long nowMs)
    {
        lock (_lock)
        {
            if (_state == TcpState.Closed) return;
            if (_timeWaitDeadline != 0 && nowMs >= _timeWaitDeadline)
            {
                CloseAfterPeerFinishedLocked();
                return;
            }
            if (_rtxDeadline != 0 && nowMs >= _rtxDeadline) OnRetransmissionTimeout(nowMs);
            if (_state == TcpState.Closed) return;
            if (_delayedAckDeadline != 0 && nowMs >= _delayedAckDeadline)
            {
                _ackNow = true;
                _delayedAckDeadline = 0;
                _host.RequestOutput(this);
            }
            OnLossRecoveryTimers(nowMs);
            if (_persistDeadline != 0 && nowMs >= _persistDeadline) OnPersistTimeout(nowMs);
            if (_keepAlive) CheckKeepAlive(nowMs);
            if (_state == TcpState.Closed) return;
            ArmTimer();
        }
    }

    private void OnRetransmissionTimeout(long nowMs)
    {
        _rtxDeadline = 0;
        if (_sndUna == _sndMax && !_synPending && _state is not (TcpState.SynSent or TcpState.SynReceived)) return;
        int limit = _state is TcpState.SynSent or TcpState.SynReceived ? _settings.SynRetries : _settings.DataRetries;
        if (_retries >= limit)
        {
            _counters.Increment(NetstackCounter.TcpTimeouts);
            if (_state == TcpState.SynReceived) { FailLocked(SocketError.TimedOut); return; }
            FailLocked(_softError != SocketError.Success ? _softError : SocketError.TimedOut);
            return;
        }
        _retries++;
        _rtt.Backoff();
        _timing = false;
        if (_state is TcpState.SynSent or TcpState.SynReceived)
        {
            _synPending = true;
            _counters.Increment(NetstackCounter.TcpRetransmits);
        }
        else
        {
            OnDataRetransmissionTimeout(nowMs);
        }
        _rtxDeadline = nowMs + _rtt.Rto;
        _host.RequestOutput(this);
    }

    private void OnPersistTimeout(long nowMs)
    {
        _persistDeadline = 0;
        uint dataEnd = _sendBufferSeq + (uint)_sendBuffer.Extent;
        if (!CanSendData || !Seq.Gt(dataEnd, _sndNxt) || _sndMax != _sndUna) return;
        if (_sndWnd == 0) _probePending = true;
        else _forceSend = true;
        _persistBackoff = Math.Min(_persistBackoff + 1, 16);
        // The persist timer backs off like the RTO but never gives up (RFC 9293 3.8.6.1).
        _persistDeadline = nowMs + Math.Min((long)_settings.MaxRto.TotalMilliseconds, Math.Max(_rtt.Rto, 200) << _persistBackoff);
        _host.RequestOutput(this);
    }

    private void CheckKeepAlive(long nowMs)
    {
        if (_state is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait2)) return;
        long idle = (long)_settings.KeepAliveIdle.TotalMilliseconds, interval = (long)_settings.KeepAliveInterval.TotalMilliseconds;
        long due = _lastReceiveMs + idle + _keepAliveProbesSent * interval;
        if (nowMs < due) return;
        if (_keepAliveProbesSent >= _settings.KeepAliveProbes)
        {
            _counters.Increment(NetstackCounter.TcpTimeouts);
            SendResetLocked(_sndNxt);
            FailLocked(_softError != SocketError.Success ? _softError : SocketError.TimedOut);
            return;
        }
        _keepAliveProbesSent++;
        _probePending = true;
        _host.RequestOutput(this);
    }

    private void ArmTimer()
    {
        if (_state == TcpState.Closed) return;
        long next = long.MaxValue;
        if (_rtxDeadline != 0) next = Math.Min(next, _rtxDeadline);
        if (_delayedAckDeadline != 0) next = Math.Min(next, _delayedAckDeadline);
        if (_persistDeadline != 0) next = Math.Min(next, _persistDeadline);
        if (_reorderDeadline != 0) next = Math.Min(next, _reorderDeadline);
        if (_lossProbeDeadline != 0) next = Math.Min(next, _lossProbeDeadline);
        if (_timeWaitDeadline != 0) next = Math.Min(next, _timeWaitDeadline);
        if (_keepAlive && _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait2)
            next = Math.Min(next, _lastReceiveMs + (long)_settings.KeepAliveIdle.TotalMilliseconds + _keepAliveProbesSent * (long)_settings.KeepAliveInterval.TotalMilliseconds);
        if (next != long.MaxValue) _host.ScheduleTimer(this, next);
    }

    // ---------------------------------------------------------------- teardown

    private void FailLocked(SocketError error)
    {
        if (_error == SocketError.Success) _error = error;
        _state = TcpState.Closed;
        _rtxDeadline = _delayedAckDeadline = _persistDeadline = _timeWaitDeadline = _reorderDeadline = _lossProbeDeadline = 0;
        _sendBuffer.Clear();
        _receiveBuffer.Clear();
        _outOfOrder.Clear();
        _scoreboard.Release();
        RemoveLocked();
        ConnectSignal.Set();
        ReceiveSignal.Set();
        SendSignal.Set();
    }

    /// <summary>
    /// The connection ends with the peer's stream complete (its FIN received): it leaves the stack, but what came before
    /// the FIN and was not read yet stays for the application (RFC 9293 lets the RST or the TIME_WAIT timer delete the
    /// TCB; losing acknowledged data the application never saw would turn a finished transfer into a truncated one).
    /// </summary>
    private void CloseAfterPeerFinishedLocked()
    {
        _unreadKept = _finReceived && !_appClosed && ReadableBytes > 0;
        _state = TcpState.Closed;
        _rtxDeadline = _delayedAckDeadline = _persistDeadline = _timeWaitDeadline = _reorderDeadline = _lossProbeDeadline = 0;
        RemoveLocked();
        ReceiveSignal.Set();
        SendSignal.Set();
    }

    private void RemoveLocked()
    {
        if (_removed) return;
        _removed = true;
        ReleaseListenerSlot();
        _layer.Remove(this);
        if (_state == TcpState.Closed)
        {
            _sendBuffer.Clear();
            if (!_unreadKept) _receiveBuffer.Clear();
            _scoreboard.Release();
        }
    }

    private void ReleaseListenerSlot()
    {
        var listener = _listener;
        if (listener == null) return;
        _listener = null;
        listener.OnHalfOpenGone();
    }

    /// <summary>Still waiting in <paramref name="listener"/>'s SYN backlog (a racy read: <see cref="DropHalfOpen"/> checks again).</summary>
    internal bool IsHalfOpenOf(TcpListenerSocket listener) => ReferenceEquals(Volatile.Read(ref _listener), listener);

    /// <summary>
    /// Recycled for a newer SYN (RFC 4987 3.4): dropped silently, as no RST is worth sending to a flood's forged
    /// source. Nothing happens if the handshake completed meanwhile.
    /// </summary>
    internal void DropHalfOpen()
    {
        lock (_lock)
        {
            if (_state != TcpState.SynReceived || _listener == null) return;
            FailLocked(SocketError.ConnectionReset);
        }
    }

    /// <summary>The stack is going away (or the listener closed before accept): reset and fail.</summary>
    internal void AbortFromStack(SocketError error) => ResetAndFail(error);
}

/// <summary>A connection's 4-tuple, as the layer's table key.</summary>
internal readonly record struct ConnectionKey(UdpEndpoint Local, UdpEndpoint Remote);
