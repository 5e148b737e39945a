using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Routing;

namespace WgSharp.Device;

/// <summary>
/// The control plane: applies a parsed configuration change atomically (one change at a time, under its lock),
/// and takes status snapshots. It alone adds and removes peers and replaces the transport.
/// </summary>
internal sealed class DeviceConfigurator
{
    private readonly Lock _applyLock = new();  // LockLevel.Apply: one change at a time, held while a transport opens
    private readonly Lock _configLock = new(); // LockLevel.Config: the state a change swaps, and a status snapshot
    private bool _closed;
    private readonly string _interfaceName;
    private readonly ProtocolEngine<Peer> _engine;
    private readonly AllowedIps<Peer> _allowedIps;
    private readonly DeviceCounters _counters;
    private readonly DeviceClock _clock;
    private readonly InterfaceLog _log;
    private readonly TransportSlot _transport;
    private readonly IDatagramTransportFactory _transports;
    private readonly TimerLoop _timers;

    public DeviceConfigurator(string interfaceName, ProtocolEngine<Peer> engine, AllowedIps<Peer> allowedIps, DeviceCounters counters,
        DeviceClock clock, InterfaceLog log, TransportSlot transport, IDatagramTransportFactory transports, TimerLoop timers)
    {
        _interfaceName = interfaceName;
        _engine = engine;
        _allowedIps = allowedIps;
        _counters = counters;
        _clock = clock;
        _log = log;
        _transport = transport;
        _transports = transports;
        _timers = timers;
    }

    /// <summary>
    /// The configured peers. The engine's table is the one table of peers (each protocol peer's owner is its device
    /// peer): a second dictionary keyed by the public key cost 86 bytes for each of 100,000 peers.
    /// </summary>
    public IEnumerable<Peer> Peers => _engine.Peers.Select(p => p.Owner);

    public Peer? FindPeer(in Key publicKey) => _engine.FindPeer(publicKey)?.Owner;

    /// <summary>Closes the transport for good (the device shuts down); not while a change swaps in a new one.</summary>
    public void CloseTransport()
    {
        using (LockOrder.Enter(_configLock, LockLevel.Config))
        {
            _closed = true; // a change still opening a transport closes it instead of swapping it in
            _transport.Current.Dispose();
        }
    }

    public DeviceStatus GetStatus()
    {
        using (LockOrder.Enter(_configLock, LockLevel.Config))
        {
            var now = _clock.Now;
            var peers = new List<PeerStatus>(_engine.PeerCount);
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
                    AllowedIps = _allowedIps.EntriesForPeer(peer).ToList(),
                    Description = peer.Description,
                    Counters = peer.Counters, // a live view: no copy per peer in a snapshot of 100,000
                    KeypairAge = peer.KeypairAge(now),
                    EndpointName = peer.EndpointName,
                });
            }
            return new DeviceStatus
            {
                InterfaceName = _interfaceName,
                PrivateKey = _engine.Identity.Keys is { } keys ? new Key(keys.PrivateKey) : null,
                PublicKey = _engine.Identity.PublicKey,
                ListenPort = _transport.Current.Port,
                FwMark = _transport.Current.FwMark,
                Debug = _log.Debug,
                RTable = _rtable,
                Peers = peers,
                Counters = _counters.Snapshot(),
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
    /// Opening a transport can be slow (it may create a namespace): it runs before the configuration lock is
    /// taken, so a status snapshot or a shutdown never waits for it; changes themselves go one at a time.
    /// </summary>
    public ConfigResult Apply(DeviceUpdate update)
    {
        using (LockOrder.Enter(_applyLock, LockLevel.Apply))
        {
            // 1. Every fallible step, on new resources: a new transport for a new port or routing table is
            // opened complete (bound, marked, in its namespace); a mark alone is set on the live sockets last,
            // all or nothing. A failure returns here with nothing changed. Only Apply replaces the transport,
            // and Applies run one at a time: what is read here stays current until the swap below.
            var current = _transport.Current;
            int currentRTable = RTable;
            int rtable = update.RTable ?? currentRTable;
            ushort port = update.ListenPort ?? current.Port;
            uint mark = update.FwMark ?? current.FwMark;
            IDatagramTransport? fresh = null;
            if (rtable != currentRTable || port != current.Port)
            {
                try { fresh = _transports.Open(new TransportSettings(port, mark, rtable)); }
                catch (Exception e)
                {
                    return ConfigResult.Fail(e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ? Errno.EADDRINUSE : Errno.EIO,
                        rtable != currentRTable ? $"cannot open the UDP socket in rtable {rtable}: {e.Message}" : $"cannot listen on port {port}: {e.Message}");
                }
            }
            IDatagramTransport? retired = null; // closed after the lock: closing is not the configuration's business
            try
            {
                using (LockOrder.Enter(_configLock, LockLevel.Config))
                {
                    if (_closed)
                    {
                        retired = fresh;
                        return ConfigResult.Fail(Errno.EIO, "the interface is shutting down");
                    }
                    if (fresh is null && mark != current.FwMark)
                    {
                        try { current.SetFwMark(mark); }
                        catch (Exception e) { return ConfigResult.Fail(Errno.EIO, $"cannot set fwmark: {e.Message}"); }
                    }

                    // 2. Infallible steps: swap the new transport in (its receivers move over when the old one closes).
                    if (fresh is not null)
                    {
                        _transport.Swap(fresh);
                        Volatile.Write(ref _rtable, rtable);
                        retired = current;
                    }
                    ApplyInfallible(update);
                    return ConfigResult.Ok;
                }
            }
            finally { retired?.Dispose(); }
        }
    }

    private void ApplyInfallible(DeviceUpdate update)
    {
        if (update.Debug is { } debug) _log.Debug = debug;
        // As wireguard-go: re-sending the current key (setconf/syncconf always send it) keeps sessions.
        if (update.PrivateKey is { } privateKey && !IsCurrentPrivateKey(privateKey))
        {
            foreach (var removed in _engine.SetPrivateKey(privateKey.IsZero ? null : privateKey))
                ForgetPeerLocked(removed.Owner); // the engine removed it already
        }
        if (update.ReplacePeers || update.RemoveAllPeers)
            foreach (var peer in Peers.ToList()) RemovePeerLocked(peer.PublicKey);

        foreach (var pu in update.Peers) ApplyPeer(pu);
    }

    private bool IsCurrentPrivateKey(in Key privateKey)
    {
        if (_engine.Identity.Keys is not { } current) return privateKey.IsZero;
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
            var protocolPeer = _engine.AddPeer(pu.PublicKey, p => new Peer(p) { CreatedOrder = Interlocked.Increment(ref _peerOrder) });
            if (protocolPeer is null) return; // our own public key: ignored, as wireguard-go does
            peer = protocolPeer.Owner;
            protocolPeer.SetTimerCallback(_timers.OnArmed, peer);
        }
        if (pu.PresharedKey is { } psk)
        {
            peer.Protocol.SetPresharedKey(psk);
        }
        if (pu.Endpoint is { } endpoint) peer.SetEndpoint(UdpEndpoint.FromIPEndPoint(endpoint));
        if (pu.Endpoint is not null) peer.EndpointName = pu.EndpointName; // an address alone forgets the name
        if (pu.ReplaceAllowedIps) _allowedIps.RemoveByPeer(peer);
        _allowedIps.InsertRange(pu.AddAllowedIps, peer);
        foreach (var prefix in pu.RemoveAllowedIps) _allowedIps.Remove(prefix, peer);
        if (pu.Description is { } description) peer.Description = description.Length == 0 ? null : description;
        if (pu.PersistentKeepalive is { } pka)
        {
            bool turnedOn = pka > 0 && peer.PersistentKeepalive != pka;
            peer.PersistentKeepalive = pka;
            peer.Protocol.SetPersistentKeepalive(pka);
            // As wireguard-go: a newly set interval sends a keepalive at once (it opens NAT state).
            if (turnedOn && _engine.Identity.HasKey && !peer.Endpoint.IsEmpty)
                _timers.KeepaliveSoon(peer); // by the timer thread, not under the configuration lock
        }
    }

    private void RemovePeerLocked(in Key publicKey)
    {
        if (FindPeer(publicKey) is not { } peer) return;
        ForgetPeerLocked(peer);
        _engine.RemovePeer(publicKey);
    }

    /// <summary>The device's side of removing a peer: no more routes to it, its staged packets dropped.</summary>
    private void ForgetPeerLocked(Peer peer)
    {
        peer.Removed = true;
        _allowedIps.RemoveByPeer(peer);
        _counters.CountStagedDropped(peer.ClearStaged());
    }
}
