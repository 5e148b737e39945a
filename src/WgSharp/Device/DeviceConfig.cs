using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Device.Linux;
using WgSharp.Keys;

namespace WgSharp.Device;

// The control plane: applying a parsed configuration change atomically, and taking snapshots.
public sealed partial class WireGuardDevice : IDeviceControl
{
    public DeviceStatus GetStatus()
    {
        lock (_configLock)
        {
            var peers = new List<PeerStatus>(_peers.Count);
            foreach (var peer in _peers.Values.OrderBy(p => p.CreatedOrder))
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
                });
            }
            return new DeviceStatus
            {
                InterfaceName = InterfaceName,
                PrivateKey = Engine.Identity.PrivateKey,
                PublicKey = Engine.Identity.PublicKey,
                ListenPort = Udp.Port,
                FwMark = Udp.FwMark,
                Debug = _debug,
                RTable = _rtable,
                Peers = peers,
            };
        }
    }

    private int _rtable;
    private long _peerOrder;

    /// <summary>
    /// Applies a change atomically: the steps that can fail (binding a port, opening a socket
    /// in another namespace) run first, and nothing else changes if they fail.
    /// </summary>
    public ConfigResult Apply(DeviceUpdate update)
    {
        int peersBefore = _peers.Count;
        var result = ApplyLocked(update);
        if (update.Peers.Count >= BulkChangePeers || ((update.ReplacePeers || update.RemoveAllPeers) && peersBefore >= BulkChangePeers))
            ScheduleCompaction();
        return result;
    }

    /// <summary>Peers added, changed or removed in one update from which the heap is compacted afterwards.</summary>
    private const int BulkChangePeers = 1024;
    private int _compactionPending;

    /// <summary>
    /// A bulk change (a setconf of thousands of peers) leaves the parsed request and the replaced objects
    /// behind as garbage, often more than the configuration itself. Half a second later, when the caller has
    /// let go of the request, one compacting collection hands that memory back to the system instead of
    /// keeping it mapped until some later collection happens to run.
    /// </summary>
    private void ScheduleCompaction()
    {
        if (Interlocked.Exchange(ref _compactionPending, 1) != 0) return;
        Task.Delay(TimeSpan.FromMilliseconds(500)).ContinueWith(_ =>
        {
            Volatile.Write(ref _compactionPending, 0);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }, TaskScheduler.Default);
    }

    private ConfigResult ApplyLocked(DeviceUpdate update)
    {
        lock (_configLock)
        {
            // 1. Fallible steps first.
            UdpTransport? newTransport = null;
            if (update.RTable is { } rtable && rtable != _rtable)
            {
                try
                {
                    ushort port = update.ListenPort ?? Udp.Port;
                    newTransport = new UdpTransport(rtable == 0 ? null : RDomainNamespace(rtable)) { Offloads = _options.Offloads };
                    if (rtable != 0 && !NetNs.Exists(RDomainNamespace(rtable))) NetNs.Create(RDomainNamespace(rtable));
                    newTransport.Bind(port);
                    if (Udp.FwMark != 0) newTransport.SetFwMark(Udp.FwMark);
                }
                catch (Exception e)
                {
                    newTransport?.Dispose();
                    return ConfigResult.Fail(e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ? Errno.EADDRINUSE : Errno.EIO,
                        $"cannot open the UDP socket in rtable {rtable}: {e.Message}");
                }
            }
            else if (update.ListenPort is { } port && port != Udp.Port)
            {
                try { Udp.Rebind(port); }
                catch (Exception e)
                {
                    return ConfigResult.Fail(e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ? Errno.EADDRINUSE : Errno.EIO,
                        $"cannot listen on port {port}: {e.Message}");
                }
            }
            if (update.FwMark is { } mark && mark != Udp.FwMark && newTransport is null)
            {
                try { Udp.SetFwMark(mark); }
                catch (Exception e) { return ConfigResult.Fail(Errno.EIO, $"cannot set fwmark: {e.Message}"); }
            }

            // 2. Infallible steps.
            if (newTransport is not null)
            {
                if (update.FwMark is { } m) newTransport.SetFwMark(m);
                var old = _udp;
                _udp = newTransport;
                _rtable = update.RTable!.Value;
                old.Dispose();
            }
            if (update.Debug is { } debug) _debug = debug;
            // As wireguard-go: re-sending the current key (setconf/syncconf always send it) keeps sessions.
            if (update.PrivateKey is { } privateKey && !IsCurrentPrivateKey(privateKey))
            {
                foreach (var removed in Engine.SetPrivateKey(privateKey.IsZero ? null : privateKey))
                    RemovePeerLocked(removed);
            }
            if (update.ReplacePeers || update.RemoveAllPeers)
                foreach (var key in _peers.Keys.ToList()) RemovePeerLocked(key);

            foreach (var pu in update.Peers) ApplyPeer(pu);
            return ConfigResult.Ok;
        }
    }

    private bool IsCurrentPrivateKey(in Key privateKey)
    {
        if (Engine.Identity.PrivateKey is not { } current) return privateKey.IsZero;
        return !privateKey.IsZero && KeyPair.ClampPrivateKey(privateKey).ConstantTimeEquals(current);
    }

    private static string RDomainNamespace(int rtable) => $"rdomain{rtable}";

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
            peer = new Peer(protocolPeer) { CreatedOrder = Interlocked.Increment(ref _peerOrder) };
            lock (protocolPeer.Lock)
            {
                protocolPeer.Timers.ArmedState = peer;
                protocolPeer.Timers.Armed = _onTimersArmed;
            }
            _peers[pu.PublicKey] = peer;
        }
        if (pu.PresharedKey is { } psk)
        {
            peer.PresharedKey = psk.IsZero ? null : psk;
            lock (peer.Protocol.Handshake.Lock) peer.Protocol.Handshake.SetPresharedKey(peer.PresharedKey);
        }
        if (pu.Endpoint is { } endpoint) peer.SetEndpoint(UdpEndpoint.FromIPEndPoint(endpoint));
        if (pu.ReplaceAllowedIps) AllowedIps.RemoveByPeer(peer);
        foreach (var prefix in pu.AddAllowedIps) AllowedIps.Insert(prefix, peer);
        foreach (var prefix in pu.RemoveAllowedIps) AllowedIps.Remove(prefix, peer);
        if (pu.Description is { } description) peer.Description = description.Length == 0 ? null : description;
        if (pu.PersistentKeepalive is { } pka)
        {
            bool turnedOn = pka > 0 && peer.PersistentKeepalive != pka;
            peer.PersistentKeepalive = pka;
            lock (peer.Protocol.Lock) peer.Protocol.Timers.PersistentKeepaliveInterval = pka;
            // As wireguard-go: a newly set interval sends a keepalive at once (it opens NAT state).
            if (turnedOn && Engine.Identity.HasKey && !peer.Endpoint.IsEmpty)
                ThreadPool.UnsafeQueueUserWorkItem(p => SendKeepalive(p), peer, preferLocal: false);
        }
    }

    private void RemovePeerLocked(in Key publicKey)
    {
        if (!_peers.TryRemove(publicKey, out var peer)) return;
        peer.Removed = true;
        AllowedIps.RemoveByPeer(peer);
        Counters.CountStagedDropped(peer.ClearStaged());
        Engine.RemovePeer(publicKey);
        peer.PresharedKey = null; // overwrites the device's copy of the secret (the handshake's is zeroed above)
    }
}
