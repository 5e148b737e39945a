using System.Net;
using System.Text;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>
/// One peer of an interface, as <c>wg set</c> describes it. Immutable; <c>with</c> makes a changed copy.
/// <see cref="ToString"/> shows the public key, endpoint and allowed IPs, never the preshared key.
/// </summary>
public sealed record PeerConfiguration
{
    private readonly IReadOnlyList<IPNetwork> _allowedIPs = [];

    /// <summary>The peer's public key, which identifies it.</summary>
    public required Key PublicKey { get; init; }

    /// <summary>An optional preshared key mixed into the handshake (post-quantum resistance); null for none.</summary>
    public Key? PresharedKey { get; init; }

    /// <summary>Where to send to the peer until it is heard from (then its latest source address is used); null if unknown.</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>The inner addresses this peer may send from and is routed to (cryptokey routing). Host bits must be zero. Empty for none.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyList<IPNetwork> AllowedIPs
    {
        get => _allowedIPs;
        init => _allowedIPs = value ?? throw new ArgumentNullException(nameof(AllowedIPs), "AllowedIPs is null: use [] for none");
    }

    /// <summary>Send a keepalive this often when otherwise idle (1 s to 65535 s), for peers behind NAT; null for never.</summary>
    public TimeSpan? PersistentKeepalive { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("PublicKey = ").Append(RecordText.PublicKey(PublicKey))
            .Append(", PresharedKey = ").Append(RecordText.Secret(PresharedKey))
            .Append(", Endpoint = ").Append(Endpoint?.ToString() ?? "none")
            .Append(", AllowedIPs = ");
        RecordText.List(builder, AllowedIPs);
        if (PersistentKeepalive is { } keepalive) builder.Append(", PersistentKeepalive = ").Append(keepalive.TotalSeconds).Append(" s");
        return true;
    }
}
