using System.Net;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>Between the public records and the device's own change and status types (one place for the mapping).</summary>
internal static class EmbeddingTranslation
{
    /// <summary>
    /// The change that makes the device's configuration exactly <paramref name="configuration"/> (wg setconf).
    /// Throws <see cref="WireGuardException"/> (InvalidConfiguration) before anything is applied.
    /// </summary>
    public static DeviceUpdate ToUpdate(InterfaceConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.ListenPort is < 0 or > ushort.MaxValue) throw Invalid("the listen port must be 0-65535");
        var update = new DeviceUpdate
        {
            PrivateKey = configuration.PrivateKey ?? Key.Zero,
            ListenPort = configuration.ListenPort == 0 ? null : (ushort)configuration.ListenPort,
            FwMark = configuration.FwMark,
            ReplacePeers = true,
        };
        var seen = new HashSet<Key>();
        foreach (var peer in configuration.Peers)
        {
            if (peer is null) throw Invalid("a peer is null");
            if (!seen.Add(peer.PublicKey)) throw Invalid($"peer {peer.PublicKey.ToBase64()} is listed twice");
            if (peer.PublicKey.IsZero) throw Invalid("a peer's public key is all zeros");
            var change = new PeerUpdate(peer.PublicKey)
            {
                PresharedKey = peer.PresharedKey ?? Key.Zero,
                Endpoint = peer.Endpoint,
                PersistentKeepalive = KeepaliveSeconds(peer),
                ReplaceAllowedIps = true,
            };
            foreach (var network in peer.AllowedIPs) change.AllowIp(new IpPrefix(network.BaseAddress, network.PrefixLength));
            update.Peers.Add(change);
        }
        return update;
    }

    public static WireGuardInterfaceStatus ToStatus(DeviceStatus status) => new()
    {
        Name = status.InterfaceName,
        PublicKey = status.PublicKey,
        ListenPort = status.ListenPort,
        FwMark = status.FwMark,
        Peers = [.. status.Peers.Select(p => new WireGuardPeerStatus
        {
            PublicKey = p.PublicKey,
            HasPresharedKey = p.PresharedKey is { IsZero: false },
            Endpoint = p.Endpoint,
            AllowedIPs = [.. p.AllowedIps.Select(a => new IPNetwork(a.Masked().Address, a.Bits))],
            LastHandshake = p.LastHandshake,
            ReceivedBytes = p.RxBytes,
            SentBytes = p.TxBytes,
            PersistentKeepalive = p.PersistentKeepalive == 0 ? null : TimeSpan.FromSeconds(p.PersistentKeepalive),
        })],
    };

    private static ushort KeepaliveSeconds(PeerConfiguration peer)
    {
        if (peer.PersistentKeepalive is not { } interval) return 0;
        double seconds = interval.TotalSeconds;
        if (seconds < 1 || seconds > ushort.MaxValue || seconds != Math.Floor(seconds))
            throw Invalid($"the persistent keepalive of peer {peer.PublicKey.ToBase64()} must be whole seconds from 1 to 65535");
        return (ushort)seconds;
    }

    private static WireGuardException Invalid(string message) => new(WireGuardErrorReason.InvalidConfiguration, message);
}
