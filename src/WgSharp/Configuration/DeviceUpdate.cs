using System.Net;
using WgSharp.Collections;
using WgSharp.Keys;

namespace WgSharp.Configuration;

/// <summary>
/// One validated configuration change, as a UAPI `set=1` request or an ifconfig command line
/// describes it. Parsers build it completely before anything is applied, so a bad request
/// changes nothing; the device applies it atomically. Null means "leave as it is".
/// </summary>
internal sealed class DeviceUpdate
{
    // Keys live in arena slots, not in this heap object: a collection that moves it would leave a copy behind.
    private SecretKeyCell? _privateKey;

    /// <summary>New private key; <see cref="Key.Zero"/> removes it. Held in a locked arena slot; the getter returns a copy.</summary>
    public Key? PrivateKey { get => SecretKeyCell.Read(_privateKey); set => SecretKeyCell.Replace(ref _privateKey, value); }
    public ushort? ListenPort { get; set; }
    /// <summary>New fwmark; 0 removes it.</summary>
    public uint? FwMark { get; set; }
    public bool ReplacePeers { get; set; }
    public List<PeerUpdate> Peers { get; } = [];

    // wgsharp extensions used by the OpenBSD dialect (never sent by wg(8)).
    /// <summary>Remove every peer (ifconfig -wgpeerall).</summary>
    public bool RemoveAllPeers { get; set; }
    /// <summary>Switch the interface debug log on or off (ifconfig debug / -debug).</summary>
    public bool? Debug { get; set; }
    /// <summary>Namespace of the UDP socket: rdomainN, or 0 for the daemon's own (ifconfig wgrtable).</summary>
    public int? RTable { get; set; }

    public bool IsEmpty =>
        PrivateKey is null && ListenPort is null && FwMark is null && !ReplacePeers && Peers.Count == 0 &&
        !RemoveAllPeers && Debug is null && RTable is null;

    /// <summary>
    /// Zeroes and returns every key slot this change owns, its peers' included (the rule of <see cref="SecretKeyCell"/>),
    /// once it has been applied or refused; the keys read as null afterwards. Safe to call twice.
    /// </summary>
    public void ClearSecrets()
    {
        SecretKeyCell.Replace(ref _privateKey, null);
        foreach (var peer in Peers) peer.ClearSecrets();
    }
}

/// <summary>A change to one peer, identified by its public key.</summary>
internal sealed class PeerUpdate
{
    /// <summary>A change to the peer with <paramref name="publicKey"/>.</summary>
    /// <param name="publicKey">The peer's public key.</param>
    /// <param name="prefixComparer">Compares prefixes in the allowed-IP sets; null for value equality (tests pass one that counts the work).</param>
    public PeerUpdate(Key publicKey, IEqualityComparer<IpPrefix>? prefixComparer = null)
    {
        PublicKey = publicKey;
        AddAllowedIps = new(prefixComparer);
        RemoveAllowedIps = new(prefixComparer);
    }

    public Key PublicKey { get; }
    public bool Remove { get; set; }
    /// <summary>Only change an existing peer; do not create it (UAPI update_only).</summary>
    public bool UpdateOnly { get; set; }
    private SecretKeyCell? _presharedKey;

    /// <summary>New preshared key; <see cref="Key.Zero"/> removes it. Held in a locked arena slot; the getter returns a copy.</summary>
    public Key? PresharedKey { get => SecretKeyCell.Read(_presharedKey); set => SecretKeyCell.Replace(ref _presharedKey, value); }
    public IPEndPoint? Endpoint { get; set; }
    /// <summary>The name <see cref="Endpoint"/> was resolved from, kept by the daemon to follow DNS; null for an address.</summary>
    public EndpointName? EndpointName { get; set; }
    /// <summary>Persistent keepalive interval in seconds; 0 disables.</summary>
    public ushort? PersistentKeepalive { get; set; }
    public bool ReplaceAllowedIps { get; set; }
    /// <summary>Prefixes to give this peer, each once, in the order first named.</summary>
    public InsertionOrderedSet<IpPrefix> AddAllowedIps { get; }
    /// <summary>Prefixes to drop from this peer (ifconfig -wgaip; a wgsharp extension).</summary>
    public InsertionOrderedSet<IpPrefix> RemoveAllowedIps { get; }
    /// <summary>Peer description (ifconfig wgdescr); empty string removes it.</summary>
    public string? Description { get; set; }
    public int? ProtocolVersion { get; set; }

    /// <summary>
    /// Names <paramref name="prefix"/> to be added. The add and remove sets stay disjoint so the last
    /// line naming a prefix wins whatever order the device applies them in. O(1), so a request with
    /// a million allowed IPs loads in linear time.
    /// </summary>
    public void AllowIp(IpPrefix prefix)
    {
        RemoveAllowedIps.Remove(prefix);
        AddAllowedIps.Add(prefix);
    }

    /// <summary>Names <paramref name="prefix"/> to be removed (the counterpart of <see cref="AllowIp"/>).</summary>
    public void DisallowIp(IpPrefix prefix)
    {
        AddAllowedIps.Remove(prefix);
        RemoveAllowedIps.Add(prefix);
    }

    /// <summary>Zeroes and returns the preshared key's slot (the rule of <see cref="SecretKeyCell"/>); it reads as null afterwards. Safe to call twice.</summary>
    public void ClearSecrets() => SecretKeyCell.Replace(ref _presharedKey, null);
}
