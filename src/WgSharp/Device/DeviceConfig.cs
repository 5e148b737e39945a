using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Keys;

namespace WgSharp.Device;

// The control plane: applying a parsed configuration change atomically, and taking snapshots.
internal sealed partial class WireGuardDevice : IDeviceControl
{
    public DeviceStatus GetStatus()
    {
        lock (_configLock)
        {
            var now = Now;
            var peers = new List<PeerStatus>(Engine.PeerCount);
            foreach (var peer in Peers.OrderBy(p => p.CreatedOrder))
            {
                peers.Add(new PeerStatus
                {
                    PublicKey = peer.PublicKey,
                    PresharedKey = peer.PresharedKey,
                    Endpoint = peer.EndpointForDisplay,
                    PersistentKeepalive = peer.PersistentKeepalive,
                    LastHandshake = peer.Protocol.LastHandshake,
                    RxBytes = peer.RxBytes,
                    TxBytes = peer.TxBytes,
                    AllowedIps = AllowedIps.EntriesForPeer(peer).ToList(),
                    Description = peer.Description,
                    Counters = peer.Counters, // a live view: no copy per peer in a snapshot of 100,000
                    KeypairAge = peer.KeypairAge(now),
                    EndpointName = peer.EndpointName,
                });
            }
            return new DeviceStatus
            {
                InterfaceName = InterfaceName,
                PrivateKey = Engine.Identity.Keys is { } keys ? new Key(keys.PrivateKey) : null,
                PublicKey = Engine.Identity.PublicKey,
                ListenPort = _transport.Port,
                FwMark = _transport.FwMark,
                Debug = _debug,
                RTable = _rtable,
                Peers = peers,
                Counters = Counters.Snapshot(),
            };
        }
    }

    private int _rtable;
    private long _peerOrder;

    /// <summary>The routing table (wgrtable) the UDP socket lives in; 0 for the device's own namespace.</summary>
    public int RTable => Volatile.Read(ref _rtable);

    /// <summary>
    /// Applies a change atomically: the steps that can fail (binding a port, setting a mark, opening a
    /// socket in another namespace) run first on new resources, and nothing else changes if they fail.
    /// </summary>
    public ConfigResult Apply(DeviceUpdate update)
    {
        lock (_configLock)
        {
            // 1. Every fallible step, on new resources: a new transport for a new port or routing table is
            // opened complete (bound, marked, in its namespace); a mark alone is set on the live sockets last,
            // all or nothing. A failure returns here with nothing changed.
            var current = _transport;
            int rtable = update.RTable ?? _rtable;
            ushort port = update.ListenPort ?? current.Port;
            uint mark = update.FwMark ?? current.FwMark;
            IDatagramTransport? fresh = null;
            if (rtable != _rtable || port != current.Port)
            {
                try { fresh = _transports.Open(new TransportSettings(port, mark, rtable)); }
                catch (Exception e)
                {
                    return ConfigResult.Fail(e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ? Errno.EADDRINUSE : Errno.EIO,
                        rtable != _rtable ? $"cannot open the UDP socket in rtable {rtable}: {e.Message}" : $"cannot listen on port {port}: {e.Message}");
                }
            }
            else if (mark != current.FwMark)
            {
                try { current.SetFwMark(mark); }
                catch (Exception e) { return ConfigResult.Fail(Errno.EIO, $"cannot set fwmark: {e.Message}"); }
            }

            // 2. Infallible steps: swap the new transport in (its receivers move over when the old one closes).
            if (fresh is not null)
            {
                _transport = fresh;
                _rtable = rtable;
                current.Dispose();
            }
            if (update.Debug is { } debug) _debug = debug;
            // As wireguard-go: re-sending the current key (setconf/syncconf always send it) keeps sessions.
            if (update.PrivateKey is { } privateKey && !IsCurrentPrivateKey(privateKey))
            {
                foreach (var removed in Engine.SetPrivateKey(privateKey.IsZero ? null : privateKey))
                    if (removed.Owner is Peer peer) ForgetPeerLocked(peer); // the engine removed it already
            }
            if (update.ReplacePeers || update.RemoveAllPeers)
                foreach (var peer in Peers.ToList()) RemovePeerLocked(peer.PublicKey);

            foreach (var pu in update.Peers) ApplyPeer(pu);
            return ConfigResult.Ok;
        }
    }

    private bool IsCurrentPrivateKey(in Key privateKey)
    {
        if (Engine.Identity.Keys is not { } current) return privateKey.IsZero;
        return !privateKey.IsZero && current.IsPrivateKey(privateKey);
    }

    private void ApplyPeer(PeerUpdate pu)
    {
        if (pu.Remove)
        {
            RemovePeerLocked(pu.PublicKey);
            return;
        }
        var peer = FindPeer(pu.PublicKey);
        if (peer is null)
        {
            if (pu.UpdateOnly) return;
            var protocolPeer = Engine.AddPeer(pu.PublicKey);
            if (protocolPeer is null) return; // our own public key: ignored, as wireguard-go does
            peer = new Peer(protocolPeer)
            {
                CreatedOrder = Interlocked.Increment(ref _peerOrder),
            };
            lock (protocolPeer.Lock)
            {
                protocolPeer.Timers.ArmedState = peer;
                protocolPeer.Timers.Armed = _onTimersArmed;
            }
        }
        if (pu.PresharedKey is { } psk)
        {
            lock (peer.Protocol.Handshake.Lock) peer.Protocol.Handshake.SetPresharedKey(psk.IsZero ? null : psk);
        }
        if (pu.Endpoint is { } endpoint) peer.SetEndpoint(UdpEndpoint.FromIPEndPoint(endpoint));
        if (pu.Endpoint is not null) peer.EndpointName = pu.EndpointName; // an address alone forgets the name
        if (pu.ReplaceAllowedIps) AllowedIps.RemoveByPeer(peer);
        AllowedIps.InsertRange(pu.AddAllowedIps, peer);
        foreach (var prefix in pu.RemoveAllowedIps) AllowedIps.Remove(prefix, peer);
        if (pu.Description is { } description) peer.Description = description.Length == 0 ? null : description;
        if (pu.PersistentKeepalive is { } pka)
        {
            bool turnedOn = pka > 0 && peer.PersistentKeepalive != pka;
            peer.PersistentKeepalive = pka;
            lock (peer.Protocol.Lock) peer.Protocol.Timers.PersistentKeepaliveInterval = pka;
            // As wireguard-go: a newly set interval sends a keepalive at once (it opens NAT state).
            if (turnedOn && Engine.Identity.HasKey && !peer.Endpoint.IsEmpty)
                _keepalivesDue.Enqueue(peer); // by the timer thread, not under the configuration lock
        }
    }

    private void RemovePeerLocked(in Key publicKey)
    {
        if (FindPeer(publicKey) is not { } peer) return;
        ForgetPeerLocked(peer);
        Engine.RemovePeer(publicKey);
    }

    /// <summary>The device's side of removing a peer: no more routes to it, its staged packets dropped.</summary>
    private void ForgetPeerLocked(Peer peer)
    {
        peer.Removed = true;
        AllowedIps.RemoveByPeer(peer);
        Counters.CountStagedDropped(peer.ClearStaged());
    }
}
