using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack.Tcp;
using NetstackCore = WgSharp.Netstack.Netstack;

namespace WgSharp;

/// <summary>
/// The network inside a userspace-mode interface: TCP connections, listeners, UDP sockets, pings and DNS through the
/// tunnel, from this process, without root. Obtained from <see cref="WireGuardInterface.Network"/>. Thread-safe.
/// Failures are <see cref="SocketException"/>s with the <see cref="SocketError"/> a kernel socket would give.
/// </summary>
public sealed class WireGuardNetwork
{
    /// <summary>Bytes of payload in an echo request (as ping's default).</summary>
    internal const int PingPayloadSize = 56;
    private static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromSeconds(5);

    private readonly NetstackCore _stack;

    internal WireGuardNetwork(NetstackCore stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        _stack = stack;
    }

    /// <summary>The stack itself, for the CLI's packet capture (NetstackCore.Tap).</summary>
    internal NetstackCore Stack => _stack;

    /// <summary>The interface's addresses in the tunnel.</summary>
    public IReadOnlyList<IPNetwork> Addresses => _stack.Addresses;

    /// <summary>The DNS servers names are resolved with (through the tunnel).</summary>
    public IReadOnlyList<IPAddress> DnsServers => _stack.DnsServers;

    // ---- TCP ----

    /// <summary>
    /// Opens a TCP connection to <paramref name="remoteEndPoint"/> (<see cref="IPEndPoint"/>, or <see cref="DnsEndPoint"/>
    /// resolved through the tunnel's DNS servers, trying each address in turn). SocketException: NetworkUnreachable (no
    /// interface address of that family, or no peer's allowed IPs cover it), ConnectionRefused, TimedOut,
    /// AddressNotAvailable (unspecified or multicast address), HostNotFound/TryAgain (name resolution);
    /// OperationCanceledException on the token (the attempt is aborted).
    /// </summary>
    public Task<TunnelStream> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        switch (remoteEndPoint)
        {
            case IPEndPoint ip:
                TunnelEndpoints.ValidatePort(ip.Port, allowZero: false, nameof(remoteEndPoint));
                return ConnectToAddressAsync(ip.Address, (ushort)ip.Port, cancellationToken);
            case DnsEndPoint dns:
                TunnelEndpoints.ValidatePort(dns.Port, allowZero: false, nameof(remoteEndPoint));
                return ConnectToNameAsync(dns, cancellationToken);
            default:
                throw new ArgumentException($"an IPEndPoint or a DnsEndPoint, not {remoteEndPoint.GetType().Name}", nameof(remoteEndPoint));
        }
    }

    private async Task<TunnelStream> ConnectToNameAsync(DnsEndPoint remote, CancellationToken cancellationToken)
    {
        var addresses = await _stack.Dns.ResolveAsync(remote.Host, remote.AddressFamily, cancellationToken).ConfigureAwait(false);
        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectToAddressAsync(address, (ushort)remote.Port, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                lastError = e; // the next address may do (an IPv6 one without a route, say); the last failure is reported
            }
        }
        throw lastError ?? new SocketException((int)SocketError.HostNotFound);
    }

    private async Task<TunnelStream> ConnectToAddressAsync(IPAddress address, ushort port, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var remote = TunnelEndpoints.ToRemote(address, port);
        var source = SelectSource(remote);
        var connection = _stack.Tcp.Connect(source, remote);
        try
        {
            while (true)
            {
                if (connection.IsEstablished) return new TunnelStream(connection);
                var error = connection.Error;
                if (error != SocketError.Success) throw new SocketException((int)error);
                await connection.ConnectSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            connection.Abort(); // cancelled or failed: nothing of the attempt may linger (a late SYN-ACK gets an RST)
            throw;
        }
    }

    /// <summary>The interface address to reach <paramref name="remote"/> from; NetworkUnreachable when none or no peer routes there.</summary>
    private UdpEndpoint SelectSource(in UdpEndpoint remote)
    {
        if (!_stack.TrySelectSource(remote, out var source) || !_stack.HasRoute(remote.AddressSpan))
            throw new SocketException((int)SocketError.NetworkUnreachable);
        return source;
    }

    /// <summary>
    /// Listens for TCP connections from peers on <paramref name="port"/> (1-65535) of every interface address (IPv4 and
    /// IPv6 alike); <paramref name="backlog"/> connections may wait to be accepted. SocketException(AddressAlreadyInUse)
    /// when the port is taken.
    /// </summary>
    public TunnelListener Listen(int port, int backlog = 128)
    {
        TunnelEndpoints.ValidatePort(port, allowZero: false, nameof(port));
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        var families = Families();
        var sockets = new List<TcpListenerSocket>(families.Count);
        try
        {
            foreach (var family in families) sockets.Add(_stack.Tcp.Listen(TunnelEndpoints.Any(family, (ushort)port), backlog));
        }
        catch
        {
            foreach (var socket in sockets) socket.Close();
            throw;
        }
        return new TunnelListener([.. sockets]);
    }

    /// <summary>
    /// Listens on one address and port (an unspecified address: every address of its family). SocketException:
    /// AddressNotAvailable when the address is not the interface's, AddressAlreadyInUse when the port is taken.
    /// </summary>
    public TunnelListener Listen(IPEndPoint localEndPoint, int backlog = 128)
    {
        var local = TunnelEndpoints.ToLocal(localEndPoint, allowZeroPort: false);
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        CheckLocal(local);
        return new TunnelListener([_stack.Tcp.Listen(local, backlog)]);
    }

    // ---- UDP ----

    /// <summary>
    /// A UDP socket bound to <paramref name="port"/> (0: an ephemeral port) on every interface address, IPv4 and IPv6
    /// alike (one dual-stack socket when the interface has an IPv6 address). SocketException(AddressAlreadyInUse) when
    /// the port is taken.
    /// </summary>
    public TunnelUdpSocket BindUdp(int port = 0)
    {
        TunnelEndpoints.ValidatePort(port, allowZero: true, nameof(port));
        // The stack's [::] socket is dual-stack (it sends and receives IPv4 too), as Linux's is by default.
        var family = Families().Contains(AddressFamily.InterNetworkV6) ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        return new TunnelUdpSocket([_stack.Udp.Bind(TunnelEndpoints.Any(family, (ushort)port))], _stack.Dns);
    }

    /// <summary>
    /// A UDP socket bound to one address and port (an unspecified address: every address of its family; port 0: an
    /// ephemeral one). SocketException: AddressNotAvailable when the address is not the interface's, AddressAlreadyInUse.
    /// </summary>
    public TunnelUdpSocket BindUdp(IPEndPoint localEndPoint)
    {
        var local = TunnelEndpoints.ToLocal(localEndPoint, allowZeroPort: true);
        CheckLocal(local);
        return new TunnelUdpSocket([_stack.Udp.Bind(local)], _stack.Dns);
    }

    /// <summary>The families of the interface's addresses, IPv4 first.</summary>
    private List<AddressFamily> Families()
    {
        var families = new List<AddressFamily>(2);
        foreach (var family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
        {
            foreach (var network in _stack.Addresses)
            {
                if (network.BaseAddress.AddressFamily != family) continue;
                families.Add(family);
                break;
            }
        }
        return families;
    }

    /// <summary>A local endpoint must be unspecified or one of the interface's addresses (AddressNotAvailable otherwise).</summary>
    private void CheckLocal(in UdpEndpoint local)
    {
        if (TunnelEndpoints.IsUnspecified(local.AddressSpan))
        {
            if (!Families().Contains(local.AddressFamily)) throw new SocketException((int)SocketError.AddressNotAvailable);
            return;
        }
        if (!_stack.IsLocalAddress(local.AddressSpan)) throw new SocketException((int)SocketError.AddressNotAvailable);
    }

    // ---- ICMP and DNS ----

    /// <summary>
    /// Sends an ICMP(v6) echo request (56 bytes of payload) and returns the round-trip time. SocketException: TimedOut after
    /// <paramref name="timeout"/> (default 5 s), HostUnreachable/NetworkUnreachable (an ICMP error, no interface
    /// address of that family, no peer routes there), AddressNotAvailable (unspecified or multicast address).
    /// </summary>
    public Task<TimeSpan> PingAsync(IPAddress address, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var wait = timeout ?? DefaultPingTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero, nameof(timeout));
        try
        {
            var destination = TunnelEndpoints.ToRemote(address, 0);
            var source = SelectSource(destination);
            return _stack.Icmp.PingAsync(source, destination, PingPayloadSize, wait, cancellationToken);
        }
        catch (SocketException e)
        {
            return Task.FromException<TimeSpan>(e);
        }
    }

    /// <summary>
    /// Resolves <paramref name="host"/> through the tunnel's DNS servers (A and AAAA, IPv4 first; an IP literal is returned
    /// as is). SocketException: HostNotFound when it does not exist or has no address, TryAgain when no server answered,
    /// NoData when no DNS servers are configured. Never asks the host's resolver.
    /// </summary>
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return _stack.Dns.ResolveAsync(host, AddressFamily.Unspecified, cancellationToken);
    }

    // ---- HTTP ----

    /// <summary>
    /// An <see cref="HttpMessageHandler"/> (a <see cref="SocketsHttpHandler"/>) whose connections go through the tunnel and
    /// whose names resolve through it: <c>new HttpClient(network.CreateHttpMessageHandler())</c>. The caller disposes it.
    /// </summary>
    public SocketsHttpHandler CreateHttpMessageHandler() => new()
    {
        UseProxy = false, // a proxy from the host's environment would be reached outside the tunnel
        ConnectCallback = ConnectForHttpAsync,
    };

    private async ValueTask<Stream> ConnectForHttpAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        await ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
}
