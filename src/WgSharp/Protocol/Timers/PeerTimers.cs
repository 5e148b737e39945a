namespace WgSharp.Protocol.Timers;

/// <summary>
/// The per-peer timer rules of the whitepaper (section 6) as a pure state machine: events set
/// or clear deadlines on the caller's monotonic clock, and <see cref="Poll"/> reports what
/// expired. No threads or real timers here; the device polls it. Not thread-safe: callers
/// serialize access (the device uses one lock per peer).
/// </summary>
internal sealed class PeerTimers
{
    private readonly Func<TimeSpan> _jitter;

    /// <param name="jitter">Source of the 0..333 ms REKEY_TIMEOUT jitter; injected so tests are deterministic.</param>
    public PeerTimers(Func<TimeSpan>? jitter = null)
    {
        _jitter = jitter ?? (() => TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)ProtocolConstants.RekeyTimeoutJitterMax.TotalMilliseconds)));
    }

    private const long NotArmed = long.MaxValue;
    // Deadlines in ticks, NotArmed when off: half the room of a TimeSpan?, five times for each of 100,000 peers.
    private long _retransmitHandshakeAt = NotArmed, _sendKeepaliveAt = NotArmed, _newHandshakeAt = NotArmed,
        _zeroKeyMaterialAt = NotArmed, _persistentKeepaliveAt = NotArmed;
    /// <summary>The earliest armed deadline in ticks (NotArmed: none), kept current by every setter below.</summary>
    private long _nextDeadlineTicks = NotArmed;

    public TimeSpan? RetransmitHandshakeAt { get => Deadline(_retransmitHandshakeAt); private set => Set(ref _retransmitHandshakeAt, value); }
    public TimeSpan? SendKeepaliveAt { get => Deadline(_sendKeepaliveAt); private set => Set(ref _sendKeepaliveAt, value); }
    public TimeSpan? NewHandshakeAt { get => Deadline(_newHandshakeAt); private set => Set(ref _newHandshakeAt, value); }
    public TimeSpan? ZeroKeyMaterialAt { get => Deadline(_zeroKeyMaterialAt); private set => Set(ref _zeroKeyMaterialAt, value); }
    public TimeSpan? PersistentKeepaliveAt { get => Deadline(_persistentKeepaliveAt); private set => Set(ref _persistentKeepaliveAt, value); }

    private static TimeSpan? Deadline(long ticks) => ticks == NotArmed ? null : TimeSpan.FromTicks(ticks);

    /// <summary>Every sent packet clears the keepalive deadline: when nothing changes, nothing is recomputed.</summary>
    private void Set(ref long deadline, TimeSpan? value)
    {
        long ticks = value?.Ticks ?? NotArmed;
        if (deadline == ticks) return;
        deadline = ticks;
        Rearm();
    }

    /// <summary>Retries of the current handshake so far.</summary>
    public int HandshakeAttempts { get; private set; }
    public bool NeedAnotherKeepalive { get; private set; }
    /// <summary>Set once we initiated because the session is about to expire on receive (165 s).</summary>
    public bool SentLastMinuteHandshake { get; set; }
    public ushort PersistentKeepaliveInterval { get; set; }

    /// <summary>The earliest armed deadline, so the caller knows when to poll next.</summary>
    public TimeSpan? NextDeadline => Deadline(NextDeadlineTicks);

    /// <summary>
    /// <see cref="NextDeadline"/> in ticks (long.MaxValue when nothing is armed), readable without the
    /// caller's lock: a device polling 100,000 idle peers skips each one with a single read. A value
    /// read while another thread arms a timer is at worst one poll late.
    /// </summary>
    public long NextDeadlineTicks => Volatile.Read(ref _nextDeadlineTicks);

    /// <summary>
    /// Called with <see cref="ArmedState"/> whenever a change leaves some deadline armed, under the caller's
    /// lock. The device keeps its list of peers to poll with it, so idle peers cost its timer thread nothing.
    /// </summary>
    public Action<object?>? Armed { get; set; }
    public object? ArmedState { get; set; }

    private void Rearm()
    {
        long next = Math.Min(Math.Min(Math.Min(_retransmitHandshakeAt, _sendKeepaliveAt), Math.Min(_newHandshakeAt, _zeroKeyMaterialAt)),
            _persistentKeepaliveAt);
        Volatile.Write(ref _nextDeadlineTicks, next);
        if (next != NotArmed) Armed?.Invoke(ArmedState);
    }

    /// <summary>A data packet (not a keepalive) was sent: expect something back within 15 s.</summary>
    public void DataSent(TimeSpan now)
    {
        NewHandshakeAt ??= now + ProtocolConstants.KeepaliveTimeout + ProtocolConstants.RekeyTimeout + _jitter();
    }

    /// <summary>A data packet was received: answer with a keepalive in 10 s if we send nothing.</summary>
    public void DataReceived(TimeSpan now)
    {
        if (SendKeepaliveAt is null) SendKeepaliveAt = now + ProtocolConstants.KeepaliveTimeout;
        else NeedAnotherKeepalive = true;
    }

    /// <summary>Any authenticated packet (data, keepalive or handshake) was sent.</summary>
    public void AnyAuthenticatedPacketSent() => SendKeepaliveAt = null;

    /// <summary>Any authenticated packet was received.</summary>
    public void AnyAuthenticatedPacketReceived() => NewHandshakeAt = null;

    /// <summary>Any authenticated packet went either way: restart the persistent keepalive countdown.</summary>
    public void AnyAuthenticatedPacketTraversal(TimeSpan now)
    {
        if (PersistentKeepaliveInterval > 0)
            PersistentKeepaliveAt = now + TimeSpan.FromSeconds(PersistentKeepaliveInterval);
    }

    /// <summary>We sent an initiation.</summary>
    public void HandshakeInitiated(TimeSpan now) =>
        RetransmitHandshakeAt = now + ProtocolConstants.RekeyTimeout + _jitter();

    /// <summary>A handshake we initiated got its response.</summary>
    public void HandshakeComplete()
    {
        RetransmitHandshakeAt = null;
        HandshakeAttempts = 0;
        SentLastMinuteHandshake = false;
    }

    /// <summary>New transport keys exist: zero everything if no newer ones appear in 3 x REJECT_AFTER_TIME.</summary>
    public void SessionDerived(TimeSpan now) => ZeroKeyMaterialAt = now + 3 * ProtocolConstants.RejectAfterTime;

    /// <summary>A new handshake (not a retry) starts: the attempt count restarts.</summary>
    public void ResetAttempts() => HandshakeAttempts = 0;

    /// <summary>Stops everything (peer removed or interface down).</summary>
    public void StopAll()
    {
        // The fields, not the properties: one re-arm at the end, with nothing armed, so nothing is reported.
        _retransmitHandshakeAt = _sendKeepaliveAt = _newHandshakeAt = _zeroKeyMaterialAt = _persistentKeepaliveAt = NotArmed;
        Rearm();
        HandshakeAttempts = 0;
        NeedAnotherKeepalive = false;
    }

    /// <summary>Reports and clears every expired deadline.</summary>
    public TimerActions Poll(TimeSpan now)
    {
        var actions = TimerActions.None;
        if (RetransmitHandshakeAt is { } rt && now >= rt)
        {
            RetransmitHandshakeAt = null;
            if (HandshakeAttempts > ProtocolConstants.MaxHandshakeAttempts)
            {
                actions |= TimerActions.GiveUpHandshake;
                SendKeepaliveAt = null;
                ZeroKeyMaterialAt ??= now + 3 * ProtocolConstants.RejectAfterTime;
            }
            else
            {
                HandshakeAttempts++;
                actions |= TimerActions.RetryHandshake;
            }
        }
        if (SendKeepaliveAt is { } ka && now >= ka)
        {
            SendKeepaliveAt = null;
            actions |= TimerActions.SendKeepalive;
            if (NeedAnotherKeepalive)
            {
                NeedAnotherKeepalive = false;
                SendKeepaliveAt = now + ProtocolConstants.KeepaliveTimeout;
            }
        }
        if (NewHandshakeAt is { } nh && now >= nh)
        {
            NewHandshakeAt = null;
            actions |= TimerActions.NewHandshake;
        }
        if (ZeroKeyMaterialAt is { } zk && now >= zk)
        {
            ZeroKeyMaterialAt = null;
            actions |= TimerActions.ZeroKeyMaterial;
        }
        if (PersistentKeepaliveAt is { } pk && now >= pk)
        {
            PersistentKeepaliveAt = null;
            if (PersistentKeepaliveInterval > 0) actions |= TimerActions.SendPersistentKeepalive;
        }
        return actions;
    }
}
