using System.Net;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>One peer of an interface, as <c>wg set</c> describes it. Immutable; <c>with</c> makes a changed copy.</summary>
public sealed record PeerConfiguration
{
    /// <summary>The peer's public key, which identifies it.</summary>
    public required Key PublicKey { get; init; }

    /// <summary>An optional preshared key mixed into the handshake (post-quantum resistance); null for none.</summary>
    public Key? PresharedKey { get; init; }

    /// <summary>Where to send to the peer until it is heard from (then its latest source address is used); null if unknown.</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>The inner addresses this peer may send from and is routed to (cryptokey routing). Host bits must be zero.</summary>
    public IReadOnlyList<IPNetwork> AllowedIps { get; init; } = [];

    /// <summary>Send a keepalive this often when otherwise idle (1 s to 65535 s), for peers behind NAT; null for never.</summary>
    public TimeSpan? PersistentKeepalive { get; init; }
}
