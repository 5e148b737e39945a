using System.Net;
using System.Net.Sockets;

namespace WgSharp.Netstack.Dns;

/// <summary>
/// A stub resolver that asks the interface's DNS servers through the tunnel (over the stack's UDP), never the host's
/// resolver: A and AAAA, CNAME chains followed, answers cached for their TTL (bounded).
/// </summary>
internal sealed class DnsResolver
{
    /// <param name="bind">Opens a UDP socket on the stack (port 0) for a query.</param>
    /// <param name="servers">The DNS servers, in order of preference.</param>
    public DnsResolver(Func<WgSharp.Device.IO.UdpEndpoint, Udp.UdpSocketCore> bind, IReadOnlyList<IPAddress> servers) => throw new NotImplementedException("API helper");

    /// <summary>
    /// The addresses of <paramref name="host"/> (an IP literal is returned as is) of <paramref name="family"/>
    /// (Unspecified: A and AAAA, IPv4 first). SocketException HostNotFound (NXDOMAIN or no address), TryAgain (no server
    /// answered), NoData when no servers are configured.
    /// </summary>
    public Task<IPAddress[]> ResolveAsync(string host, AddressFamily family, CancellationToken cancellationToken) =>
        throw new NotImplementedException("API helper");
}
