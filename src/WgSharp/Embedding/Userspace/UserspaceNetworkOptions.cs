using System.Net;

namespace WgSharp;

/// <summary>
/// Userspace mode (<see cref="WireGuardInterfaceOptions.Userspace"/>): the interface gets no TUN device and needs no
/// root; a TCP/IP stack inside the process carries the connections this program opens through
/// <see cref="WireGuardInterface.Network"/>.
/// </summary>
public sealed record UserspaceNetworkOptions
{
    /// <summary>The interface's own addresses inside the tunnel (e.g. <c>10.0.0.2/32</c>, <c>fd00::2/128</c>): at least one.</summary>
    public required IReadOnlyList<IPNetwork> Addresses { get; init; }

    /// <summary>DNS servers reached through the tunnel for names given to <see cref="WireGuardNetwork"/>; empty: names do not resolve.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>TCP connections open at once (any state but listening); more are refused.</summary>
    public int MaxTcpConnections { get; init; } = 4096;

    /// <summary>Half-open incoming connections per listener (SYN backlog).</summary>
    public int TcpSynBacklog { get; init; } = 256;

    /// <summary>Each TCP connection's send and receive buffer, in bytes (the most in flight each way).</summary>
    public int TcpBufferSize { get; init; } = 4 << 20;
}
