using WgSharp.Keys;

namespace WgSharp;

/// <summary>
/// The whole WireGuard configuration of an interface, as <c>wg setconf</c> takes it. Immutable;
/// <see cref="WireGuardInterface.Configure"/> replaces the running configuration with one, all or nothing.
/// </summary>
public sealed record InterfaceConfiguration
{
    /// <summary>The interface's private key (<see cref="KeyPair.GeneratePrivateKey"/>); null for none, which sends and accepts nothing.</summary>
    public Key? PrivateKey { get; init; }

    /// <summary>The UDP port to listen on; 0 for a free port chosen by the kernel (kept by later configurations that also say 0).</summary>
    public ushort ListenPort { get; init; }

    /// <summary>The fwmark put on outgoing UDP packets, for policy routing; 0 for none.</summary>
    public uint FwMark { get; init; }

    /// <summary>The peers; each public key at most once.</summary>
    public IReadOnlyList<PeerConfiguration> Peers { get; init; } = [];
}
