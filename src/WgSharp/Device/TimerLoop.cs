using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Protocol;
using WgSharp.Protocol.Timers;

namespace WgSharp.Device;

// Drives every peer's pure timer state machine from one thread and carries out what expired.
internal sealed class TimerLoop
{
    private readonly ProtocolEngine<Peer> _engine;
    private readonly DeviceCounters _counters;
    private readonly DeviceClock _clock;
    private readonly InterfaceLog _log;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly SendPath _send;
    private readonly ITunnel _tunnel;
    private readonly Action _tunnelGone;

    public TimerLoop(ProtocolEngine<Peer> engine, DeviceCounters counters, DeviceClock clock, InterfaceLog log,
        CancellationToken stopping, SendPath send, ITunnel tunnel, Action tunnelGone)
    {
        _engine = engine;
        _counters = counters;
        _clock = clock;
        _log = log;
        _logger = log.Logger;
        _stopping = stopping;
        _send = send;
        _tunnel = tunnel;
        _tunnelGone = tunnelGone;
        OnArmed = OnTimersArmed;
    }

    /// <summary>One delegate shared by every peer's timers (a delegate per peer would cost memory per peer).</summary>
    public Action<object?> OnArmed { get; }

    /// <summary>Sends <paramref name="peer"/> a keepalive from the timer thread (not under the caller's locks).</summary>
    public void KeepaliveSoon(Peer peer) => _keepalivesDue.Enqueue(peer);

    /// <summary>Timer resolution in real time; fine enough for the 333 ms jitter.</summary>
    private static readonly TimeSpan TimerTick = TimeSpan.FromMilliseconds(50);

    /// <summary>Peers whose timers were armed while they were not on the timer thread's list.</summary>
    private readonly ConcurrentQueue<Peer> _armedPeers = new();

    /// <summary>Peers owed a keepalive at once (a newly set persistent keepalive), sent on the next tick.</summary>
    private readonly ConcurrentQueue<Peer> _keepalivesDue = new();

    /// <summary>
    /// PeerTimers.Armed for every peer (called under the peer's protocol lock): a peer joins the timer
    /// thread's list the first time something is armed, so 100,000 idle peers cost the thread nothing.
    /// </summary>
    private void OnTimersArmed(object? state)
    {
        var peer = (Peer)state!;
        if (peer.OnTimerList) return;
        peer.OnTimerList = true;
        _armedPeers.Enqueue(peer);
    }

    /// <summary>The timer thread's loop; returns when the device stops or the tunnel is gone.</summary>
    public void Run()
    {
        var realTick = TimerTick / Math.Max(1.0, _clock.Scale);
        if (realTick < TimeSpan.FromMilliseconds(5)) realTick = TimeSpan.FromMilliseconds(5);
        var polled = new List<Peer>(); // this thread's own: peers with at least one deadline armed
        while (!_stopping.WaitHandle.WaitOne(realTick))
        {
            while (_armedPeers.TryDequeue(out var armed)) polled.Add(armed);
            while (_keepalivesDue.TryDequeue(out var due))
                if (!due.Removed) _send.SendKeepalive(due);
            for (int i = polled.Count - 1; i >= 0; i--)
            {
                var peer = polled[i];
                if (!peer.Removed)
                {
                    try { RunTimers(peer); }
                    catch (Exception e) { if (_log.Debug) _logger.TimerError(_log.Name, peer.LogName, e.Message); }
                }
                if (!peer.Removed && peer.Protocol.Timers.NextDeadlineTicks != long.MaxValue) continue;
                // Nothing armed any more: leave the list. Under the lock that arming takes, so a deadline
                // armed in between either shows here or finds the flag clear and queues the peer again.
                if (!peer.Protocol.UnderTimerLock(static (p, owner) =>
                    {
                        if (!owner.Removed && p.Timers.NextDeadlineTicks != long.MaxValue) return false;
                        owner.OnTimerList = false;
                        return true;
                    }, peer)) continue;
                polled[i] = polled[^1];
                polled.RemoveAt(polled.Count - 1);
            }
            if (!_tunnel.Exists) { _tunnelGone(); return; }
        }
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
