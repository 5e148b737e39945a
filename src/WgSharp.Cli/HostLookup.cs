using System.Net;
using System.Net.Sockets;

namespace WgSharp.Cli;

/// <summary>How the commands resolve a host name given for an endpoint (wg's `endpoint`, ifconfig's `wgendpoint`, a
/// hostname.if line): the resolver's first IPv4 or IPv6 address, as wg(8) and ifconfig(8) take it.</summary>
internal static class HostLookup
{
    /// <summary>The first IPv4 or IPv6 address of <paramref name="host"/>, or null when it has none.</summary>
    /// <exception cref="SocketException">The name could not be resolved.</exception>
    public static IPAddress? FirstAddress(string host) =>
        Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6);
}
