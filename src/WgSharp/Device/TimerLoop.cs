using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Protocol;
using WgSharp.Protocol.Timers;

namespace WgSharp.Device;

// Drives every peer's pure timer state machine from one thread and carries out what expired. The thread sleeps
// until the earliest armed deadline (a heap of peers by deadline) and is woken only when a deadline moves earlier
// than the one it sleeps for: an idle device with 100,000 peers and nothing armed never wakes (docs/performance.md).
internal sealed class TimerLoop : IDisposable
{
    private readonly ProtocolEngine<Peer> _engine;
    private readonly DeviceCounters _counters;
    private readonly DeviceClock _clock;
    private readonly InterfaceLog _log;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly SendPath _send;

    // The schedule (LockLevel.TimerSchedule, a leaf: nothing is taken under it). An entry (peer, t) is current while
    // peer.ScheduledTicks == t; an earlier deadline adds a new entry and leaves the old one to be skipped when it
    // comes up, so moving a deadline never searches the heap. A deadline that moved later is found when its old
    // entry comes up: the peer is polled (nothing due) and scheduled again at its new deadline.
    private readonly Lock _scheduleLock = new();
    private readonly PriorityQueue<Peer, long> _schedule = new();
    private long _wakeAt = long.MaxValue; // the deadline (protocol ticks) the thread sleeps until
    private readonly ConcurrentQueue<Peer> _keepalivesDue = new();

    // What wakes the thread: an earlier deadline or a keepalive owed (Set by whoever made it), the deadline itself
    // (a timeout of the wait, or with a TimeProvider of the caller's the timer it makes), or the device stopping.
    private readonly AutoResetEvent _wake = new(false);
    private readonly WaitHandle[] _wakeOrStop;
    private readonly ITimer? _deadlineTimer;

    public TimerLoop(ProtocolEngine<Peer> engine, DeviceCounters counters, DeviceClock clock, InterfaceLog log,
        CancellationToken stopping, SendPath send)
    {
        _engine = engine;
        _counters = counters;
        _clock = clock;
        _log = log;
        _logger = log.Logger;
        _stopping = stopping;
        _send = send;
        _wakeOrStop = [_wake, stopping.WaitHandle];
        OnArmed = OnTimersArmed;
        // Real time sleeps in the wait itself; another clock (a test's fake or scaled one) says when by its own timer.
        if (clock.Time != TimeProvider.System)
            _deadlineTimer = clock.Time.CreateTimer(static wake => ((AutoResetEvent)wake!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>One delegate shared by every peer's timers (a delegate per peer would cost memory per peer).</summary>
    public Action<object?> OnArmed { get; }

    /// <summary>Peers scheduled, counting entries left behind by deadlines that moved earlier (a test and benchmark view).</summary>
    public int ScheduledEntries
    {
        get { using (LockOrder.Enter(_scheduleLock, LockLevel.TimerSchedule)) return _schedule.Count; }
    }

    /// <summary>Sends <paramref name="peer"/> a keepalive from the timer thread (not under the caller's locks).</summary>
    public void KeepaliveSoon(Peer peer)
    {
        _keepalivesDue.Enqueue(peer);
        _wake.Set();
    }

    /// <summary>
    /// PeerTimers.Armed for every peer, called under the peer's timer lock whenever a change leaves a deadline
    /// armed (with persistent keepalive: for every packet). Costs one read unless the deadline moved earlier than
    /// the one the peer is scheduled for.
    /// </summary>
    private void OnTimersArmed(object? state)
    {
        var peer = (Peer)state!;
        long next = peer.Protocol.Timers.NextDeadlineTicks;
        if (next < Volatile.Read(ref peer.ScheduledTicks)) Schedule(peer, next);
    }

    /// <summary>Schedules the peer at <paramref name="deadline"/> unless it is already scheduled no later; wakes the thread if that is earlier than its sleep.</summary>
    private void Schedule(Peer peer, long deadline)
    {
        bool wake = false;
        using (LockOrder.Enter(_scheduleLock, LockLevel.TimerSchedule))
        {
            if (deadline >= peer.ScheduledTicks) return;
            Volatile.Write(ref peer.ScheduledTicks, deadline);
            _schedule.Enqueue(peer, deadline);
            if (deadline < _wakeAt)
            {
                _wakeAt = deadline;
                wake = true;
            }
        }
        if (wake) _wake.Set();
    }

    /// <summary>The timer thread's loop; returns when the device stops.</summary>
    public void Run()
    {
        var due = new List<Peer>(); // this thread's own: the peers whose scheduled deadline has come
        while (!_stopping.IsCancellationRequested)
        {
            while (_keepalivesDue.TryDequeue(out var owed))
                if (!owed.Removed) _send.SendKeepalive(owed);

            var now = _clock.Now;
            long sleepUntil = TakeDue(now.Ticks, due);
            foreach (var peer in due)
            {
                try { RunTimers(peer); }
                catch (Exception e) { if (_log.Debug) _logger.TimerError(_log.Name, peer.LogName, e.Message); }
                // Under the lock arming takes: a deadline armed meanwhile either shows here or, armed after,
                // finds the peer unscheduled and schedules it itself.
                peer.Protocol.UnderTimerLock(static (protocol, loop) =>
                {
                    var owner = protocol.Owner;
                    long next = protocol.Timers.NextDeadlineTicks;
                    if (!owner.Removed && next != long.MaxValue) loop.Schedule(owner, next);
                    return true;
                }, this);
            }
            if (due.Count > 0)
            {
                due.Clear();
                continue; // what the peers armed may be due already
            }
            Sleep(sleepUntil == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(sleepUntil - now.Ticks));
        }
    }

    /// <summary>
    /// Takes every peer whose current entry is due at <paramref name="now"/> into <paramref name="due"/> (it is then
    /// unscheduled) and returns the earliest deadline left, which the thread will sleep until.
    /// </summary>
    private long TakeDue(long now, List<Peer> due)
    {
        using (LockOrder.Enter(_scheduleLock, LockLevel.TimerSchedule))
        {
            while (_schedule.TryPeek(out var peer, out long deadline))
            {
                if (deadline != peer.ScheduledTicks || peer.Removed)
                {
                    _schedule.Dequeue(); // left behind by an earlier deadline, or the peer is gone
                    if (deadline == peer.ScheduledTicks) Volatile.Write(ref peer.ScheduledTicks, long.MaxValue);
                    continue;
                }
                if (deadline > now) break;
                _schedule.Dequeue();
                Volatile.Write(ref peer.ScheduledTicks, long.MaxValue);
                due.Add(peer);
            }
            _wakeAt = _schedule.TryPeek(out _, out long next) ? next : long.MaxValue;
            return due.Count > 0 ? now : _wakeAt;
        }
    }

    /// <summary>Sleeps for <paramref name="timeout"/> of protocol time, or until woken (an earlier deadline, a keepalive owed, stopping).</summary>
    private void Sleep(TimeSpan timeout)
    {
        // A whole millisecond at least: a timer rounds shorter waits down to none, and the loop would spin until then.
        if (timeout != Timeout.InfiniteTimeSpan && timeout < TimeSpan.FromMilliseconds(1)) timeout = TimeSpan.FromMilliseconds(1);
        if (_deadlineTimer is null)
        {
            WaitHandle.WaitAny(_wakeOrStop, timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds < int.MaxValue ? timeout : TimeSpan.FromMilliseconds(int.MaxValue - 1));
            return;
        }
        _deadlineTimer.Change(timeout, Timeout.InfiniteTimeSpan);
        WaitHandle.WaitAny(_wakeOrStop);
    }

    public void Dispose()
    {
        _deadlineTimer?.Dispose();
        _wake.Dispose();
    }

    private void RunTimers(Peer peer)
    {
        var actions = peer.Protocol.PollTimers(_engine, _clock.Now);
        if (actions == TimerActions.None) return;
        if ((actions & TimerActions.GiveUpHandshake) != 0)
        {
            int dropped = peer.ClearStaged();
            _counters.CountStagedDropped(peer, dropped);
            _counters.CountHandshakeFailed(peer);
            if (_log.Debug) _logger.HandshakeGivenUp(_log.Name, peer.LogName, ProtocolConstants.MaxHandshakeAttempts + 2);
        }
        if ((actions & TimerActions.RetryHandshake) != 0)
        {
            if (_log.Debug) _logger.HandshakeRetry(_log.Name, peer.LogName, (int)ProtocolConstants.RekeyTimeout.TotalSeconds, peer.Protocol.Timers.HandshakeAttempts + 1);
            _send.SendHandshakeInitiation(peer, isRetry: true);
        }
        if ((actions & TimerActions.NewHandshake) != 0)
        {
            if (_log.Debug) _logger.HandshakeAfterSilence(_log.Name, peer.LogName, (int)(ProtocolConstants.KeepaliveTimeout + ProtocolConstants.RekeyTimeout).TotalSeconds);
            _send.SendHandshakeInitiation(peer, isRetry: false);
        }
        if ((actions & TimerActions.ZeroKeyMaterial) != 0 && _log.Debug)
            _logger.KeysExpired(_log.Name, peer.LogName, (int)(3 * ProtocolConstants.RejectAfterTime).TotalSeconds);
        if ((actions & (TimerActions.SendKeepalive | TimerActions.SendPersistentKeepalive)) != 0)
        {
            if (_log.Debug) _logger.SendingKeepalive(_log.Name, peer.LogName);
            _send.SendKeepalive(peer);
        }
    }
}
