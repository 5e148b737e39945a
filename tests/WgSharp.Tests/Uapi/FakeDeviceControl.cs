using System.Collections.Concurrent;
using System.Net;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Tests.Uapi;

/// <summary>
/// An in-memory device for UAPI tests: records every update it is given and applies it with
/// wireguard-go's semantics, so `wg showconf` after `wg set` shows what a real device would.
/// </summary>
internal sealed class FakeDeviceControl : IDeviceControl
{
    private sealed class PeerState
    {
        public Key? Psk;
        public IPEndPoint? Endpoint;
        public ushort Keepalive;
        public string? Description;
        public List<IpPrefix> AllowedIps = [];
        public DateTimeOffset? LastHandshake;
        public ulong Rx, Tx;
    }

    private readonly object _lock = new();
    private readonly List<(Key Key, PeerState State)> _peers = [];
    private Key? _privateKey;
    private ushort _port;
    private uint _fwMark;
    private bool _debug;
    private int _rTable;

    public FakeDeviceControl(string name = "wgsutest0") => InterfaceName = name;

    public string InterfaceName { get; }

    public ConcurrentQueue<DeviceUpdate> Updates { get; } = new();

    /// <summary>When set, Apply records the update but changes nothing and returns this.</summary>
    public ConfigResult? FailWith { get; set; }

    /// <summary>When set, Apply blocks until it is signalled (to hold a set in flight).</summary>
    public ManualResetEventSlim? ApplyGate { get; set; }

    public Exception? ThrowOnGetStatus { get; set; }

    public void SetCounters(Key peer, DateTimeOffset? handshake, ulong rx, ulong tx)
    {
        lock (_lock)
        {
            var state = _peers.Single(p => p.Key == peer).State;
            state.LastHandshake = handshake;
            state.Rx = rx;
            state.Tx = tx;
        }
    }

    public DeviceStatus GetStatus()
    {
        if (ThrowOnGetStatus is { } ex) throw ex;
        lock (_lock)
        {
            return new DeviceStatus
            {
                InterfaceName = InterfaceName,
                PrivateKey = _privateKey,
                PublicKey = _privateKey is { } k ? KeyGenerator.DerivePublicKey(k) : null,
                ListenPort = _port,
                FwMark = _fwMark,
                Debug = _debug,
                RTable = _rTable,
                Peers = _peers.Select(p => new PeerStatus
                {
                    PublicKey = p.Key,
                    PresharedKey = p.State.Psk,
                    Endpoint = p.State.Endpoint,
                    PersistentKeepalive = p.State.Keepalive,
                    LastHandshake = p.State.LastHandshake,
                    RxBytes = p.State.Rx,
                    TxBytes = p.State.Tx,
                    AllowedIps = p.State.AllowedIps.ToList(),
                    Description = p.State.Description,
                }).ToList(),
            };
        }
    }

    public ConfigResult Apply(DeviceUpdate update)
    {
        Updates.Enqueue(Copy(update)); // the caller clears the update's keys once Apply returns
        ApplyGate?.Wait(TimeSpan.FromSeconds(10));
        if (FailWith is { } failure) return failure;
        lock (_lock)
        {
            if (update.PrivateKey is { } sk) _privateKey = sk.IsZero ? null : sk;
            if (update.ListenPort is { } port) _port = port;
            if (update.FwMark is { } mark) _fwMark = mark;
            if (update.Debug is { } debug) _debug = debug;
            if (update.RTable is { } table) _rTable = table;
            if (update.ReplacePeers || update.RemoveAllPeers) _peers.Clear();
            Key? ownPublic = _privateKey is { } own ? KeyGenerator.DerivePublicKey(own) : null;

            foreach (var change in update.Peers)
            {
                if (ownPublic == change.PublicKey) continue;
                int index = _peers.FindIndex(p => p.Key == change.PublicKey);
                if (change.Remove)
                {
                    if (index >= 0) _peers.RemoveAt(index);
                    continue;
                }
                if (index < 0)
                {
                    if (change.UpdateOnly) continue;
                    _peers.Add((change.PublicKey, new PeerState()));
                    index = _peers.Count - 1;
                }
                var state = _peers[index].State;
                if (change.PresharedKey is { } psk) state.Psk = psk.IsZero ? null : psk;
                if (change.Endpoint is { } endpoint) state.Endpoint = endpoint;
                if (change.PersistentKeepalive is { } keepalive) state.Keepalive = keepalive;
                if (change.Description is { } description) state.Description = description.Length == 0 ? null : description;
                if (change.ReplaceAllowedIps) state.AllowedIps.Clear();
                state.AllowedIps.RemoveAll(change.RemoveAllowedIps.Contains);
                foreach (var prefix in change.AddAllowedIps)
                {
                    foreach (var (_, other) in _peers) other.AllowedIps.Remove(prefix);
                    state.AllowedIps.Add(prefix);
                }
            }
        }
        return ConfigResult.Ok;
    }

    private static DeviceUpdate Copy(DeviceUpdate update)
    {
        var copy = new DeviceUpdate
        {
            PrivateKey = update.PrivateKey, ListenPort = update.ListenPort, FwMark = update.FwMark, ReplacePeers = update.ReplacePeers,
            RemoveAllPeers = update.RemoveAllPeers, Debug = update.Debug, RTable = update.RTable,
        };
        foreach (var peer in update.Peers)
        {
            var p = new PeerUpdate(peer.PublicKey)
            {
                Remove = peer.Remove, UpdateOnly = peer.UpdateOnly, PresharedKey = peer.PresharedKey, Endpoint = peer.Endpoint,
                PersistentKeepalive = peer.PersistentKeepalive, ReplaceAllowedIps = peer.ReplaceAllowedIps,
                Description = peer.Description, ProtocolVersion = peer.ProtocolVersion,
            };
            p.AddAllowedIps.AddRange(peer.AddAllowedIps);
            p.RemoveAllowedIps.AddRange(peer.RemoveAllowedIps);
            copy.Peers.Add(p);
        }
        return copy;
    }
}
