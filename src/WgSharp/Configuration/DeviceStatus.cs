using System.Net;
using WgSharp.Keys;

namespace WgSharp.Configuration;

/// <summary>A consistent snapshot of a device's configuration and counters, for `get=1` and status output.</summary>
public sealed class DeviceStatus
{
    public required string InterfaceName { get; init; }
    public Key? PrivateKey { get; init; }
    public Key? PublicKey { get; init; }
    public ushort ListenPort { get; init; }
    public uint FwMark { get; init; }
    public bool Debug { get; init; }
    public int RTable { get; init; }
    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];
}

public sealed class PeerStatus
{
    public required Key PublicKey { get; init; }
    public Key? PresharedKey { get; init; }
    public IPEndPoint? Endpoint { get; init; }
    public ushort PersistentKeepalive { get; init; }
    /// <summary>Wall-clock time of the last completed handshake; null if none.</summary>
    public DateTimeOffset? LastHandshake { get; init; }
    public ulong RxBytes { get; init; }
    public ulong TxBytes { get; init; }
    public IReadOnlyList<IpPrefix> AllowedIps { get; init; } = [];
    public string? Description { get; init; }
    public int ProtocolVersion { get; init; } = 1;
}
