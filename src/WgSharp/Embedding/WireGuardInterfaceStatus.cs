using WgSharp.Keys;

namespace WgSharp;

/// <summary>A consistent snapshot of a running interface (<see cref="WireGuardInterface.GetStatus"/>). Carries no secret.</summary>
public sealed record WireGuardInterfaceStatus
{
    /// <summary>The interface name.</summary>
    public required string Name { get; init; }

    /// <summary>The public key of the interface's private key; null if it has none.</summary>
    public Key? PublicKey { get; init; }

    /// <summary>The UDP port it listens on.</summary>
    public ushort ListenPort { get; init; }

    /// <summary>The fwmark on outgoing UDP packets; 0 for none.</summary>
    public uint FwMark { get; init; }

    /// <summary>The peers, in the order they were added.</summary>
    public IReadOnlyList<WireGuardPeerStatus> Peers { get; init; } = [];
}
