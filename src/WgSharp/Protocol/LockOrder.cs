#if DEBUG
using System.Diagnostics;
#endif

namespace WgSharp.Protocol;

/// <summary>
/// The device's locks, outermost first (docs/architecture.md, "Lock order"): a thread holding one may take only
/// a lock of a later level. Leaf locks (a keypair set, a staged queue, a free list) take nothing inside and are not listed.
/// </summary>
internal enum LockLevel
{
    /// <summary>DeviceConfigurator: one configuration change at a time (held while a new transport opens).</summary>
    Apply = 1,
    /// <summary>DeviceConfigurator: the state a change swaps in, and a status snapshot (nothing slow under it).</summary>
    Config = 2,
    /// <summary>Peer: reserving send counters and submitting runs in one order (counter = queue = wire order).</summary>
    PeerSend = 3,
    /// <summary>ProtocolPeer: its timers and handshake-sending bookkeeping.</summary>
    PeerTimers = 4,
    /// <summary>Handshake: the Noise state of one peer's handshake in flight.</summary>
    Handshake = 5,
    /// <summary>TimerLoop: the deadline heap (taken when a peer's timers are armed, under PeerTimers).</summary>
    TimerSchedule = 6,
}

/// <summary>
/// Takes a lock of a <see cref="LockLevel"/>. In a DEBUG build it asserts the order, as the kernel's lockdep does:
/// taking a lock of an earlier level while holding one of a later level fails at once, in every test
/// that exercises the path, instead of deadlocking once in a while. A release build only takes the lock.
/// </summary>
internal static class LockOrder
{
#if DEBUG
    [ThreadStatic] private static int[]? t_held; // levels held by this thread, counted (re-entry of a level is allowed)
#endif

    /// <summary>Enters <paramref name="gate"/>, which is of <paramref name="level"/>; dispose the result to leave it.</summary>
    public static Scope Enter(Lock gate, LockLevel level)
    {
#if DEBUG
        var held = t_held ??= new int[(int)LockLevel.TimerSchedule + 1];
        for (int deeper = (int)level + 1; deeper < held.Length; deeper++)
            Debug.Assert(held[deeper] == 0, $"lock order: {level} taken while holding {(LockLevel)deeper}");
        held[(int)level]++;
#endif
        return new Scope(gate.EnterScope(), level);
    }

    /// <summary>A held lock; leaving it is disposing the scope.</summary>
    public ref struct Scope(Lock.Scope inner, LockLevel level)
    {
        private Lock.Scope _inner = inner;

        public void Dispose()
        {
#if DEBUG
            t_held![(int)level]--;
#else
            _ = level;
#endif
            _inner.Dispose();
        }
    }
}
