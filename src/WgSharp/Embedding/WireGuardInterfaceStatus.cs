using System.Text;
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
    public int ListenPort { get; init; }

    /// <summary>The fwmark on outgoing UDP packets; 0 for none.</summary>
    public uint FwMark { get; init; }

    /// <summary>The peers, in the order they were added.</summary>
    public IReadOnlyList<WireGuardPeerStatus> Peers { get; init; } = [];

    /// <summary>
    /// Userspace mode only (null otherwise): the in-process stack's drop and event counters by name (<c>tcp_syn_backlog_full</c>,
    /// <c>ip_malformed</c>, ...; docs/userspace.md lists them), and <c>tcp_connections</c>, the TCP connections open now.
    /// </summary>
    public IReadOnlyDictionary<string, long>? NetworkCounters { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", PublicKey = ").Append(RecordText.PublicKey(PublicKey))
            .Append(", ListenPort = ").Append(ListenPort)
            .Append(", Peers = ").Append(Peers.Count);
        return true;
    }
}
