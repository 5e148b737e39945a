using WgSharp.Crypto;
using WgSharp.Keys;
using WgSharp.Protocol.Cookies;
using WgSharp.Protocol.Noise;
using WgSharp.Protocol.Timers;
using WgSharp.Protocol.Transport;

namespace WgSharp.Protocol;

/// <summary>
/// Everything the protocol knows about one peer: handshake, cookies, keypairs, timers. Pure
/// (time is passed in); thread-safe for sealing from many workers. The device's peer object
/// (endpoint, queues, counters) is its <see cref="Owner"/>, made with it.
/// </summary>
internal sealed class ProtocolPeer<TOwner> where TOwner : class
{
    /// <summary>Guards timers and the handshake-sending bookkeeping (LockLevel.PeerTimers); taken only in here.</summary>
    private readonly Lock _lock = new();

    /// <param name="publicKey">The peer's static public key.</param>
    /// <param name="owner">Makes the owner of this peer (called once, at the end of construction).</param>
    /// <param name="jitter">Source of the REKEY_TIMEOUT jitter (tests make it fixed).</param>
    public ProtocolPeer(in Key publicKey, Func<ProtocolPeer<TOwner>, TOwner> owner, Func<TimeSpan>? jitter = null)
    {
        Handshake = new Handshake(publicKey);
        Cookies = new CookieGenerator(publicKey.AsSpan());
        Timers = new PeerTimers(jitter);
        Owner = owner(this);
    }

    private LockOrder.Scope EnterTimers() => LockOrder.Enter(_lock, LockLevel.PeerTimers);

    /// <summary>The peer's public key: the handshake's copy (a second 32 bytes here would count 100,000 times).</summary>
    public Key PublicKey => Handshake.RemoteStatic;
    public Handshake Handshake { get; }
    public CookieGenerator Cookies { get; }
    public KeypairSet Keypairs { get; } = new();
    /// <summary>The timer state machine: read its deadlines freely, change it only through this peer's methods.</summary>
    public PeerTimers Timers { get; }
    /// <summary>Whoever keeps this peer (the device's <c>Peer</c>).</summary>
    public TOwner Owner { get; }

    // Both times as ticks, Never when unset: a nullable TimeSpan and DateTimeOffset take 40 bytes, these 16
    // (a peer's bytes count 100,000 times, docs/performance.md).
    private const long Never = long.MinValue;
    private long _lastSentHandshakeTicks = Never;
    private long _lastHandshakeUtcTicks = Never;

    /// <summary>Monotonic time of the last initiation we sent (rate limit: one per REKEY_TIMEOUT).</summary>
    public TimeSpan? LastSentHandshake
    {
        get => _lastSentHandshakeTicks == Never ? null : TimeSpan.FromTicks(_lastSentHandshakeTicks);
        private set => _lastSentHandshakeTicks = value?.Ticks ?? Never;
    }

    /// <summary>Wall-clock time (UTC) of the last completed handshake, for `wg show`.</summary>
    public DateTimeOffset? LastHandshake
    {
        get
        {
            long ticks = Volatile.Read(ref _lastHandshakeUtcTicks);
            return ticks == Never ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        internal set => Volatile.Write(ref _lastHandshakeUtcTicks, value?.UtcTicks ?? Never);
    }

    /// <summary>
    /// Writes a complete initiation (with mac1/mac2) if one may be sent now. Returns false when
    /// rate-limited (an initiation went out less than REKEY_TIMEOUT ago) or no key is set.
    /// </summary>
    public bool TryCreateInitiation(ProtocolEngine<TOwner> engine, TimeSpan now, DateTimeOffset wallNow, bool isRetry, Span<byte> message)
    {
        using (EnterTimers())
        {
            if (!isRetry) Timers.ResetAttempts();
            if (LastSentHandshake is { } last && now - last < ProtocolConstants.RekeyTimeout) return false;
            Span<byte> timestamp = stackalloc byte[Tai64N.Size];
            Tai64N.Write(timestamp, wallNow);
            using (Handshake.Enter())
            {
                engine.Indices.Remove(Handshake.LocalIndex);
                uint index = engine.Indices.NewIndexForHandshake(this, Handshake);
                if (!NoiseProtocol.CreateInitiation(engine.Identity, Handshake, index, timestamp, message))
                {
                    engine.Indices.Remove(index);
                    Handshake.Clear();
                    return false;
                }
            }
            Cookies.AddMacs(message[..MessageLayout.InitiationSize], now);
            LastSentHandshake = now;
            Timers.HandshakeInitiated(now);
            Timers.AnyAuthenticatedPacketTraversal(now);
            Timers.AnyAuthenticatedPacketSent();
            return true;
        }
    }

    /// <summary>
    /// Reserves count consecutive send counters under the current keypair, for packets that are
    /// sealed later (possibly on other threads) with <see cref="SendReservation.Seal"/>. The caller
    /// reserves in the order the packets must leave. False when there is no usable session (queue the
    /// packets and start a handshake). needsRekey tells the caller to start a handshake: REKEY_AFTER_MESSAGES reached
    /// (judged by the run's last counter), or REKEY_AFTER_TIME on a session we initiated.
    /// </summary>
    public bool TryReserveSend(int count, TimeSpan now, out SendReservation reservation, out bool needsRekey)
    {
        reservation = default;
        var keypair = Keypairs.Current;
        if (keypair is null || !keypair.IsValidForSending(now) || !keypair.TryReserveCounters(count, out ulong first))
        {
            needsRekey = true;
            return false;
        }
        // Message-count rekey applies to whichever side sends; time-based rekey only to the session's initiator
        // (whitepaper 6.2), so both sides do not start handshakes at the same moment.
        needsRekey = first + (ulong)(count - 1) >= ProtocolConstants.RekeyAfterMessages ||
            (keypair.IsInitiator && now - keypair.Created >= ProtocolConstants.RekeyAfterTime);
        reservation = new SendReservation(keypair, first, count);
        return true;
    }

    /// <summary>Timer bookkeeping after a transport message went out (data or keepalive).</summary>
    public void OnTransportSent(bool isKeepalive, TimeSpan now)
    {
        using (EnterTimers())
        {
            if (!isKeepalive) Timers.DataSent(now);
            Timers.AnyAuthenticatedPacketTraversal(now);
            Timers.AnyAuthenticatedPacketSent();
        }
    }

    /// <summary>
    /// Timer and session bookkeeping after a transport message from this peer authenticated.
    /// Returns whether the peer's queued packets should now be sent (a "next" session was
    /// confirmed) and whether a new handshake is due (session about to expire on receive).
    /// </summary>
    public (bool sessionConfirmed, bool needsHandshake) OnTransportReceived(ProtocolEngine<TOwner> engine, Keypair keypair, bool isKeepalive, TimeSpan now)
    {
        bool confirmed = Keypairs.ConfirmIfNext(keypair, out var dropped);
        if (dropped is not null) engine.Indices.Remove(dropped.LocalIndex);
        using (EnterTimers())
        {
            if (confirmed)
            {
                Timers.HandshakeComplete();
                LastHandshake = engine.WallClock();
            }
            bool needsHandshake = false;
            if (keypair.IsInitiator && ReferenceEquals(Keypairs.Current, keypair) && !Timers.SentLastMinuteHandshake &&
                now - keypair.Created >= ProtocolConstants.RejectAfterTime - ProtocolConstants.KeepaliveTimeout - ProtocolConstants.RekeyTimeout)
            {
                Timers.SentLastMinuteHandshake = true;
                needsHandshake = true;
            }
            if (!isKeepalive) Timers.DataReceived(now);
            Timers.AnyAuthenticatedPacketReceived();
            Timers.AnyAuthenticatedPacketTraversal(now);
            return (confirmed, needsHandshake);
        }
    }

    /// <summary>Reports expired timers; ZeroKeyMaterial is acted on here (keys wiped).</summary>
    public TimerActions PollTimers(ProtocolEngine<TOwner> engine, TimeSpan now)
    {
        if (Timers.NextDeadlineTicks > now.Ticks) return TimerActions.None; // nothing due: no lock taken
        TimerActions actions;
        using (EnterTimers()) actions = Timers.Poll(now);
        if ((actions & TimerActions.ZeroKeyMaterial) != 0) ZeroAllKeys(engine);
        return actions;
    }

    /// <summary>Wipes every session and any handshake in flight.</summary>
    public void ZeroAllKeys(ProtocolEngine<TOwner> engine)
    {
        var dropped = new List<Keypair>();
        Keypairs.Clear(dropped);
        engine.Forget(dropped);
        using (Handshake.Enter())
        {
            engine.Indices.Remove(Handshake.LocalIndex);
            Handshake.Clear();
        }
    }

    /// <summary>Forgets the "last sent" time so a new initiation can go out at once (e.g. after a config change).</summary>
    internal void ResetHandshakeRateLimit()
    {
        using (EnterTimers()) LastSentHandshake = null;
    }

    /// <summary>
    /// Hooks the timers up to whoever schedules them: <paramref name="armed"/> is called with <paramref name="state"/>
    /// (under this peer's timer lock) whenever a change leaves a deadline armed.
    /// </summary>
    public void SetTimerCallback(Action<object?> armed, object? state)
    {
        using (EnterTimers())
        {
            Timers.ArmedState = state;
            Timers.Armed = armed;
        }
    }

    /// <summary>The persistent keepalive interval in seconds (0: off), as the timers use it.</summary>
    public void SetPersistentKeepalive(ushort seconds)
    {
        using (EnterTimers()) Timers.PersistentKeepaliveInterval = seconds;
    }

    /// <summary>
    /// Runs <paramref name="check"/> under the timer lock, the lock arming takes: what it reads of the deadlines
    /// cannot change meanwhile, and a deadline armed after it shows in the armed callback.
    /// </summary>
    public bool UnderTimerLock<TState>(Func<ProtocolPeer<TOwner>, TState, bool> check, TState state)
    {
        using (EnterTimers()) return check(this, state);
    }

    /// <summary>Stops every timer (the peer is removed or the interface goes down).</summary>
    internal void StopTimers()
    {
        using (EnterTimers()) Timers.StopAll();
    }

    /// <summary>Timers after we answered an initiation: a new session exists, its response went out.</summary>
    internal void OnResponseSent(TimeSpan now)
    {
        using (EnterTimers())
        {
            Timers.SessionDerived(now);
            Timers.AnyAuthenticatedPacketReceived();
            Timers.AnyAuthenticatedPacketTraversal(now);
            Timers.AnyAuthenticatedPacketSent();
        }
    }

    /// <summary>Timers after a response to our initiation made the session.</summary>
    internal void OnSessionEstablished(TimeSpan now, DateTimeOffset wallNow)
    {
        using (EnterTimers())
        {
            Timers.HandshakeComplete();
            Timers.SessionDerived(now);
            Timers.AnyAuthenticatedPacketReceived();
            Timers.AnyAuthenticatedPacketTraversal(now);
            LastHandshake = wallNow;
        }
    }

    /// <summary>A copy of the preshared key, or null when there is none.</summary>
    public Key? CopyPresharedKey()
    {
        using (Handshake.Enter()) return Handshake.HasPresharedKey ? new Key(Handshake.PresharedKey) : null;
    }

    /// <summary>Sets the preshared key (null or all-zero: none).</summary>
    public void SetPresharedKey(Key? presharedKey)
    {
        using (Handshake.Enter()) Handshake.SetPresharedKey(presharedKey is { IsZero: false } psk ? psk : null);
    }
}
