using System.Net;
using WgSharp.Keys;

namespace WgSharp.Configuration;

/// <summary>A consistent snapshot of a device's configuration and counters, for `get=1` and status output.</summary>
internal sealed class DeviceStatus
{
    public required string InterfaceName { get; init; }
    // Keys live in arena slots, not in this heap object: a collection that moves it would leave a copy behind.
    private SecretKeyCell? _privateKey;

    /// <summary>The private key, held in a locked arena slot until <see cref="ClearSecrets"/>; the getter returns a copy.</summary>
    public Key? PrivateKey { get => SecretKeyCell.Read(_privateKey); init => SecretKeyCell.Replace(ref _privateKey, value); }
    public Key? PublicKey { get; init; }
    public ushort ListenPort { get; init; }
    public uint FwMark { get; init; }
    public bool Debug { get; init; }
    public int RTable { get; init; }
    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];
    /// <summary>The interface's drop and handshake counters by name (WgSharp.Device.CounterNames); empty from a plain `get=1`.</summary>
    public IReadOnlyList<KeyValuePair<string, ulong>> Counters { get; init; } = [];

    /// <summary>
    /// Zeroes and returns every key slot this snapshot owns, its peers' included (the rule of <see cref="SecretKeyCell"/>),
    /// once it has been shown; the keys read as null afterwards. Safe to call twice.
    /// </summary>
    public void ClearSecrets()
    {
        SecretKeyCell.Replace(ref _privateKey, null);
        foreach (var peer in Peers) peer.ClearSecrets();
    }
}

internal sealed class PeerStatus
{
    public required Key PublicKey { get; init; }
    private SecretKeyCell? _presharedKey;

    /// <summary>The preshared key, held in a locked arena slot until <see cref="ClearSecrets"/>; the getter returns a copy.</summary>
    public Key? PresharedKey { get => SecretKeyCell.Read(_presharedKey); init => SecretKeyCell.Replace(ref _presharedKey, value); }
    public IPEndPoint? Endpoint { get; init; }
    public ushort PersistentKeepalive { get; init; }
    /// <summary>Wall-clock time of the last completed handshake; null if none.</summary>
    public DateTimeOffset? LastHandshake { get; init; }
    public ulong RxBytes { get; init; }
    public ulong TxBytes { get; init; }
    public IReadOnlyList<IpPrefix> AllowedIps { get; init; } = [];
    public string? Description { get; init; }
    public int ProtocolVersion { get; init; } = 1;
    /// <summary>The peer's drop and handshake counters by name (WgSharp.Device.CounterNames); from the device a live view read when shown; empty from a plain `get=1`.</summary>
    public IReadOnlyList<KeyValuePair<string, ulong>> Counters { get; init; } = [];
    /// <summary>How old the current session's keys are; null without a session (or from a plain `get=1`).</summary>
    public TimeSpan? KeypairAge { get; init; }
    /// <summary>The host name the endpoint follows (wgsharp); null when it was given as an address.</summary>
    public EndpointName? EndpointName { get; init; }

    /// <summary>Zeroes and returns the preshared key's slot (the rule of <see cref="SecretKeyCell"/>); it reads as null afterwards. Safe to call twice.</summary>
    public void ClearSecrets() => SecretKeyCell.Replace(ref _presharedKey, null);
}
