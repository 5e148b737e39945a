using System.Text;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>
/// The whole WireGuard configuration of an interface, as <c>wg setconf</c> takes it. Immutable;
/// <see cref="WireGuardInterface.Configure"/> replaces the running configuration with one, all or nothing.
/// <see cref="ToString"/> shows the public key (derived), port and peer count, never the private key.
/// </summary>
public sealed record InterfaceConfiguration
{
    private readonly IReadOnlyList<PeerConfiguration> _peers = [];

    /// <summary>The interface's private key (<see cref="KeyGenerator.GeneratePrivateKey"/>); null for none, which sends and accepts nothing.</summary>
    public Key? PrivateKey { get; init; }

    /// <summary>The UDP port to listen on (0-65535); 0 for a free port chosen by the kernel (kept by later configurations that also say 0).</summary>
    public int ListenPort { get; init; }

    /// <summary>The fwmark put on outgoing UDP packets, for policy routing; 0 for none.</summary>
    public uint FwMark { get; init; }

    /// <summary>The peers; each public key at most once. Empty for none.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyList<PeerConfiguration> Peers
    {
        get => _peers;
        init => _peers = value ?? throw new ArgumentNullException(nameof(Peers), "Peers is null: use [] for none");
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("PublicKey = ").Append(PrivateKey is { IsZero: false } key ? KeyGenerator.DerivePublicKey(key).ToBase64() : "none")
            .Append(", ListenPort = ").Append(ListenPort);
        if (FwMark != 0) builder.Append(", FwMark = 0x").Append(FwMark.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        builder.Append(", Peers = ").Append(Peers.Count);
        return true;
    }
}
