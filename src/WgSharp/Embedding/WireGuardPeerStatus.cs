using System.Net;
using System.Text;
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
    public IReadOnlyList<IPNetwork> AllowedIPs { get; init; } = [];

    /// <summary>When the last handshake with the peer completed; null if never.</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    /// <summary>Bytes received from the peer (WireGuard datagrams, as <c>wg show</c> counts).</summary>
    public ulong ReceivedBytes { get; init; }

    /// <summary>Bytes sent to the peer (WireGuard datagrams, as <c>wg show</c> counts).</summary>
    public ulong SentBytes { get; init; }

    /// <summary>The persistent keepalive interval; null if off.</summary>
    public TimeSpan? PersistentKeepalive { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("PublicKey = ").Append(RecordText.PublicKey(PublicKey))
            .Append(", Endpoint = ").Append(Endpoint?.ToString() ?? "none")
            .Append(", AllowedIPs = ");
        RecordText.List(builder, AllowedIPs)
            .Append(", LastHandshake = ").Append(LastHandshake?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "never")
            .Append(", ReceivedBytes = ").Append(ReceivedBytes)
            .Append(", SentBytes = ").Append(SentBytes);
        return true;
    }
}
