using WgSharp.Protocol;
using WgSharp.Protocol.Timers;

namespace WgSharp.Device;

// Drives every peer's pure timer state machine from one thread and carries out what expired.
public sealed partial class WireGuardDevice
{
    /// <summary>Timer resolution in real time; fine enough for the 333 ms jitter, cheap with many idle peers.</summary>
    private static readonly TimeSpan TimerTick = TimeSpan.FromMilliseconds(50);

    private void RoutineTimers()
    {
        var realTick = TimerTick / Math.Max(1.0, _options.TimeScale);
        if (realTick < TimeSpan.FromMilliseconds(5)) realTick = TimeSpan.FromMilliseconds(5);
        while (!_stopping.Token.WaitHandle.WaitOne(realTick))
        {
            foreach (var peer in _peers.Values)
            {
                try { RunTimers(peer); }
                catch (Exception e) { Debug($"Timer error for {peer.LogName}: {e.Message}"); }
            }
            if (!Tun.Exists()) { OnInterfaceGone(); return; }
        }
    }

    private void RunTimers(Peer peer)
    {
        var actions = peer.Protocol.PollTimers(Engine, Now);
        if (actions == TimerActions.None) return;
        if ((actions & TimerActions.GiveUpHandshake) != 0)
        {
            int dropped = peer.ClearStaged();
            Counters.CountStagedDropped(dropped);
            Debug($"Handshake for {peer.LogName} did not complete after {ProtocolConstants.MaxHandshakeAttempts + 2} attempts, giving up");
        }
        if ((actions & TimerActions.RetryHandshake) != 0)
        {
            Debug($"Handshake for {peer.LogName} did not complete after {(int)ProtocolConstants.RekeyTimeout.TotalSeconds} seconds, retrying (try {peer.Protocol.Timers.HandshakeAttempts + 1})");
            SendHandshakeInitiation(peer, isRetry: true);
        }
        if ((actions & TimerActions.NewHandshake) != 0)
        {
            Debug($"Retrying handshake with {peer.LogName} because we stopped hearing back after {(int)(ProtocolConstants.KeepaliveTimeout + ProtocolConstants.RekeyTimeout).TotalSeconds} seconds");
            SendHandshakeInitiation(peer, isRetry: false);
        }
        if ((actions & TimerActions.ZeroKeyMaterial) != 0)
            Debug($"Removing all keys for {peer.LogName}, since we haven't received a new one in {(int)(3 * ProtocolConstants.RejectAfterTime).TotalSeconds} seconds");
        if ((actions & (TimerActions.SendKeepalive | TimerActions.SendPersistentKeepalive)) != 0)
        {
            Debug($"Sending keepalive packet to {peer.LogName}");
            SendKeepalive(peer);
        }
    }
}
