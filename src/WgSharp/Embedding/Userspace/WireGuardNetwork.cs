using System.Net;
using System.Net.Sockets;

namespace WgSharp;

/// <summary>
/// The network inside a userspace-mode interface: TCP connections, listeners, UDP sockets, pings and DNS through the
/// tunnel, from this process, without root. Obtained from <see cref="WireGuardInterface.Network"/>. Thread-safe.
/// Failures are <see cref="SocketException"/>s with the <see cref="SocketError"/> a kernel socket would give.
/// </summary>
public sealed class WireGuardNetwork
{
    internal WireGuardNetwork(WgSharp.Netstack.Netstack stack) => throw new NotImplementedException("API helper");

    /// <summary>The interface's addresses in the tunnel.</summary>
    public IReadOnlyList<IPNetwork> Addresses => throw new NotImplementedException();

    /// <summary>The DNS servers names are resolved with (through the tunnel).</summary>
    public IReadOnlyList<IPAddress> DnsServers => throw new NotImplementedException();

    /// <summary>
    /// Opens a TCP connection to <paramref name="remoteEndPoint"/> (<see cref="IPEndPoint"/>, or <see cref="DnsEndPoint"/>
    /// resolved through the tunnel's DNS servers, trying each address in turn).
    /// </summary>
    public Task<TunnelStream> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Listens for TCP connections from peers on <paramref name="port"/> of every interface address.</summary>
    public TunnelListener Listen(int port, int backlog = 128) => throw new NotImplementedException();

    /// <summary>Listens on one address and port (an unspecified address: every address of its family).</summary>
    public TunnelListener Listen(IPEndPoint localEndPoint, int backlog = 128) => throw new NotImplementedException();

    /// <summary>A UDP socket bound to <paramref name="port"/> (0: an ephemeral port) on every interface address.</summary>
    public TunnelUdpSocket BindUdp(int port = 0) => throw new NotImplementedException();

    /// <summary>A UDP socket bound to one address and port.</summary>
    public TunnelUdpSocket BindUdp(IPEndPoint localEndPoint) => throw new NotImplementedException();

    /// <summary>Sends an ICMP(v6) echo request and returns the round-trip time (SocketException TimedOut after <paramref name="timeout"/>, default 5 s).</summary>
    public Task<TimeSpan> PingAsync(IPAddress address, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Resolves <paramref name="host"/> through the tunnel's DNS servers (A and AAAA); SocketException HostNotFound when it does not exist.</summary>
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>
    /// An <see cref="HttpMessageHandler"/> (a <see cref="SocketsHttpHandler"/>) whose connections go through the tunnel and
    /// whose names resolve through it: <c>new HttpClient(network.CreateHttpMessageHandler())</c>. The caller disposes it.
    /// </summary>
    public SocketsHttpHandler CreateHttpMessageHandler() => throw new NotImplementedException();
}
