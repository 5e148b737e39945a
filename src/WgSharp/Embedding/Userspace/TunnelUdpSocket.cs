using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack.Dns;
using WgSharp.Netstack.Udp;

namespace WgSharp;

/// <summary>
/// A UDP socket on the tunnel address. Datagrams larger than the tunnel MTU allows are refused (MessageSize). A send
/// finding the socket's send queue full fails at once with NoBufferSpaceAvailable (it does not wait): UDP may drop
/// anyway, and the caller decides whether to retry. Several sends and receives may run at once.
/// </summary>
public sealed class TunnelUdpSocket : IDisposable
{
    private readonly UdpSocketCore[] _sockets; // one per address family bound
    private readonly DnsResolver _dns;
    private readonly CancellationTokenSource _closing = new();
    private readonly AnySignalWaiter _waiter;
    private int _nextSocket;
    private volatile bool _disposed;

    /// <param name="sockets">One bound socket per family (same port); the socket owns them.</param>
    /// <param name="dns">Resolves <see cref="DnsEndPoint"/> destinations through the tunnel.</param>
    internal TunnelUdpSocket(UdpSocketCore[] sockets, DnsResolver dns)
    {
        if (sockets.Length == 0) throw new ArgumentException("at least one bound socket", nameof(sockets));
        _sockets = sockets;
        _dns = dns;
        LocalEndPoint = sockets[0].LocalEndPoint.ToIPEndPoint();
        var signals = new Netstack.AsyncSignal[sockets.Length];
        for (int i = 0; i < sockets.Length; i++) signals[i] = sockets[i].ReceiveSignal;
        _waiter = new AnySignalWaiter(signals, _closing.Token);
    }

    /// <summary>The bound address and port (the IPv4 one when bound on every address of both families).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Sends one datagram to an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> (resolved through the tunnel, first
    /// address of a family this socket is bound on); returns its length. SocketException: MessageSize (larger than the
    /// MTU allows), NoBufferSpaceAvailable (send queue full), NetworkUnreachable (no address of that family, or no peer
    /// routes there), AddressNotAvailable (unspecified or multicast destination).
    /// </summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        switch (remoteEndPoint)
        {
            case IPEndPoint ip:
                var remote = TunnelEndpoints.ToRemote(ip);
                try
                {
                    return new ValueTask<int>(SendTo(datagram.Span, remote));
                }
                catch (SocketException e)
                {
                    return ValueTask.FromException<int>(e);
                }
            case DnsEndPoint dns:
                TunnelEndpoints.ValidatePort(dns.Port, allowZero: false, nameof(remoteEndPoint));
                return SendToNameAsync(datagram, dns, cancellationToken);
            default:
                throw new ArgumentException($"an IPEndPoint or a DnsEndPoint, not {remoteEndPoint.GetType().Name}", nameof(remoteEndPoint));
        }
    }

    private async ValueTask<int> SendToNameAsync(ReadOnlyMemory<byte> datagram, DnsEndPoint remote, CancellationToken cancellationToken)
    {
        var addresses = await _dns.ResolveAsync(remote.Host, remote.AddressFamily, cancellationToken).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            if (SocketFor(address.AddressFamily) is null) continue;
            return SendTo(datagram.Span, TunnelEndpoints.ToRemote(address, (ushort)remote.Port));
        }
        throw new SocketException((int)SocketError.NetworkUnreachable); // the name has no address of a family we are bound on
    }

    private int SendTo(ReadOnlySpan<byte> datagram, in UdpEndpoint remote)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var socket = SocketFor(remote.AddressFamily) ?? throw new SocketException((int)SocketError.NetworkUnreachable);
        var error = socket.SendTo(datagram, remote);
        if (error != SocketError.Success) throw new SocketException((int)error);
        return datagram.Length;
    }

    private UdpSocketCore? SocketFor(AddressFamily family)
    {
        foreach (var socket in _sockets)
            if (socket.LocalEndPoint.AddressFamily == family) return socket;
        return null;
    }

    /// <summary>
    /// Receives one datagram (cut to <paramref name="buffer"/>'s length) and who sent it. SocketException(ConnectionRefused)
    /// once after a datagram this socket sent drew an ICMP port unreachable (as a kernel socket reports it), other ICMP
    /// errors likewise; ObjectDisposedException once disposed, SocketException(OperationAborted) for a receive
    /// waiting when the socket is disposed.
    /// </summary>
    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_disposed) throw new SocketException((int)SocketError.OperationAborted);
            cancellationToken.ThrowIfCancellationRequested();
            int length = TryReceive(buffer.Span, out var remote);
            if (length >= 0) return new SocketReceiveFromResult { ReceivedBytes = length, RemoteEndPoint = remote.ToIPEndPoint() };
            await _waiter.WaitAnyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A datagram's length (and sender) from whichever socket has one, -1 when none; throws a pending ICMP error.</summary>
    private int TryReceive(Span<byte> buffer, out UdpEndpoint remote)
    {
        int start = (int)((uint)Interlocked.Increment(ref _nextSocket) % (uint)_sockets.Length);
        bool allClosed = true;
        for (int i = 0; i < _sockets.Length; i++)
        {
            var socket = _sockets[(start + i) % _sockets.Length];
            int length = socket.ReceiveFrom(buffer, out remote);
            if (length >= 0) return length;
            if (length == -1) allClosed = false;
        }
        foreach (var socket in _sockets)
        {
            var error = socket.TakePendingError();
            if (error != SocketError.Success) throw new SocketException((int)error);
        }
        if (allClosed) throw new SocketException((int)SocketError.OperationAborted); // the stack shut down
        remote = default;
        return -1;
    }

    /// <summary>Closes the socket; a pending receive ends with OperationAborted.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var socket in _sockets) socket.Close();
        _closing.Cancel();
    }
}
