using System.Collections.Concurrent;
using WgSharp.Protocol;
using WgSharp.Protocol.Timers;

namespace WgSharp.Device;

// Drives every peer's pure timer state machine from one thread and carries out what expired.
internal sealed partial class WireGuardDevice
{
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

    private void RoutineTimers()
    {
        var realTick = TimerTick / Math.Max(1.0, _options.TimeScale);
        if (realTick < TimeSpan.FromMilliseconds(5)) realTick = TimeSpan.FromMilliseconds(5);
        var polled = new List<Peer>(); // this thread's own: peers with at least one deadline armed
        while (!_stopping.Token.WaitHandle.WaitOne(realTick))
        {
            while (_armedPeers.TryDequeue(out var armed)) polled.Add(armed);
            while (_keepalivesDue.TryDequeue(out var due))
                if (!due.Removed) SendKeepalive(due);
            for (int i = polled.Count - 1; i >= 0; i--)
            {
                var peer = polled[i];
                if (!peer.Removed)
                {
                    try { RunTimers(peer); }
                    catch (Exception e) { if (_debug) _logger.TimerError(InterfaceName, peer.LogName, e.Message); }
                }
                if (!peer.Removed && peer.Protocol.Timers.NextDeadlineTicks != long.MaxValue) continue;
                // Nothing armed any more: leave the list. Under the lock that arming takes, so a deadline
                // armed in between either shows here or finds the flag clear and queues the peer again.
                lock (peer.Protocol.Lock)
                {
                    if (!peer.Removed && peer.Protocol.Timers.NextDeadlineTicks != long.MaxValue) continue;
                    peer.OnTimerList = false;
                }
                polled[i] = polled[^1];
                polled.RemoveAt(polled.Count - 1);
            }
            if (!Tunnel.Exists) { OnInterfaceGone(); return; }
        }
    }

    private void RunTimers(Peer peer)
    {
        var actions = peer.Protocol.PollTimers(Engine, Now);
        if (actions == TimerActions.None) return;
        if ((actions & TimerActions.GiveUpHandshake) != 0)
        {
            int dropped = peer.ClearStaged();
            Counters.CountStagedDropped(peer, dropped);
            Counters.CountHandshakeFailed(peer);
            if (_debug) _logger.HandshakeGivenUp(InterfaceName, peer.LogName, ProtocolConstants.MaxHandshakeAttempts + 2);
        }
        if ((actions & TimerActions.RetryHandshake) != 0)
        {
            if (_debug) _logger.HandshakeRetry(InterfaceName, peer.LogName, (int)ProtocolConstants.RekeyTimeout.TotalSeconds, peer.Protocol.Timers.HandshakeAttempts + 1);
            SendHandshakeInitiation(peer, isRetry: true);
        }
        if ((actions & TimerActions.NewHandshake) != 0)
        {
            if (_debug) _logger.HandshakeAfterSilence(InterfaceName, peer.LogName, (int)(ProtocolConstants.KeepaliveTimeout + ProtocolConstants.RekeyTimeout).TotalSeconds);
            SendHandshakeInitiation(peer, isRetry: false);
        }
        if ((actions & TimerActions.ZeroKeyMaterial) != 0 && _debug)
            _logger.KeysExpired(InterfaceName, peer.LogName, (int)(3 * ProtocolConstants.RejectAfterTime).TotalSeconds);
        if ((actions & (TimerActions.SendKeepalive | TimerActions.SendPersistentKeepalive)) != 0)
        {
            if (_debug) _logger.SendingKeepalive(InterfaceName, peer.LogName);
            SendKeepalive(peer);
        }
    }
}
