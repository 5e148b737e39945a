using System.Net;
using System.Text;

namespace WgSharp;

/// <summary>
/// Userspace mode (<see cref="WireGuardInterfaceOptions.Userspace"/>): the interface gets no TUN device and needs no
/// root; a TCP/IP stack inside the process carries the connections this program opens through
/// <see cref="WireGuardInterface.Network"/>.
/// </summary>
public sealed record UserspaceNetworkOptions
{
    private readonly IReadOnlyList<IPNetwork> _addresses = [];
    private readonly IReadOnlyList<IPAddress> _dnsServers = [];

    /// <summary>The interface's own addresses inside the tunnel (e.g. <c>10.0.0.2/32</c>, <c>fd00::2/128</c>): at least one.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public required IReadOnlyList<IPNetwork> Addresses
    {
        get => _addresses;
        init => _addresses = value ?? throw new ArgumentNullException(nameof(Addresses), "Addresses is null: give at least one address");
    }

    /// <summary>DNS servers reached through the tunnel for names given to <see cref="WireGuardNetwork"/>; empty: names do not resolve.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyList<IPAddress> DnsServers
    {
        get => _dnsServers;
        init => _dnsServers = value ?? throw new ArgumentNullException(nameof(DnsServers), "DnsServers is null: use [] for none");
    }

    /// <summary>TCP connections open at once (any state but listening); more are refused.</summary>
    public int MaxTcpConnections { get; init; } = 4096;

    /// <summary>Half-open incoming connections per listener (SYN backlog).</summary>
    public int TcpSynBacklog { get; init; } = 256;

    /// <summary>Each TCP connection's send and receive buffer, in bytes (the most in flight each way).</summary>
    public int TcpBufferSize { get; init; } = 4 << 20;

    /// <summary>
    /// When data (or send-buffer room) arrives for a <see cref="TunnelStream"/> read (or write) that is waiting, its
    /// continuation runs at once on the interface's receive thread instead of being queued to the thread pool: one
    /// thread hand-off less per received batch, which on small machines is most of a stream's CPU cost (see
    /// docs/userspace.md). Off by default: with it on, code that runs after awaiting a TunnelStream read or write must
    /// not block (no synchronous I/O, no waiting on locks or tasks; a synchronous write to a TunnelStream there can
    /// deadlock), as with .NET's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS for sockets.
    /// </summary>
    public bool InlineCompletions { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Addresses = ");
        RecordText.List(builder, Addresses).Append(", DnsServers = ");
        RecordText.List(builder, DnsServers)
            .Append(", MaxTcpConnections = ").Append(MaxTcpConnections)
            .Append(", TcpSynBacklog = ").Append(TcpSynBacklog)
            .Append(", TcpBufferSize = ").Append(TcpBufferSize)
            .Append(", InlineCompletions = ").Append(InlineCompletions);
        return true;
    }
}
