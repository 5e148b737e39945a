using System.Net;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>A snapshot of one peer (<see cref="WireGuardInterface.GetStatus"/>). Carries no secret.</summary>
public sealed record WireGuardPeerStatus
{
    /// <summary>The peer's public key.</summary>
    public required Key PublicKey { get; init; }

    /// <summary>Whether a preshared key is configured (the key itself is not part of a status).</summary>
    public bool HasPresharedKey { get; init; }

    /// <summary>The address packets to the peer go to: configured, or where it was last heard from; null if unknown.</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>The peer's allowed IPs.</summary>
    public IReadOnlyList<IPNetwork> AllowedIps { get; init; } = [];

    /// <summary>When the last handshake with the peer completed; null if never.</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    /// <summary>Bytes received from the peer (WireGuard datagrams, as <c>wg show</c> counts).</summary>
    public ulong ReceivedBytes { get; init; }

    /// <summary>Bytes sent to the peer (WireGuard datagrams, as <c>wg show</c> counts).</summary>
    public ulong SentBytes { get; init; }

    /// <summary>The persistent keepalive interval; null if off.</summary>
    public TimeSpan? PersistentKeepalive { get; init; }
}
