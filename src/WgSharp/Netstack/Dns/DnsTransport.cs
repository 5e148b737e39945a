using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack.Udp;

namespace WgSharp.Netstack.Dns;

/// <summary>How the resolver reaches DNS servers: a seam so it can be tested against a fake server.</summary>
internal interface IDnsTransport
{
    /// <summary>Opens a channel to <paramref name="server"/>'s port 53 (SocketException when it cannot).</summary>
    IDnsChannel Open(IPAddress server);
}

/// <summary>One UDP exchange with one DNS server; disposed when the query is over.</summary>
internal interface IDnsChannel : IDisposable
{
    /// <summary>Sends one query datagram (SocketException when it cannot go out).</summary>
    void Send(ReadOnlySpan<byte> query);

    /// <summary>
    /// The next datagram from the server's address and port 53 (others are discarded), copied into
    /// <paramref name="buffer"/>; its length. SocketException for an ICMP error or a closed socket; OperationCanceledException on the token.
    /// </summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>DNS over the stack's own UDP: each query gets a fresh socket on an ephemeral port (RFC 5452: unpredictable ports).</summary>
internal sealed class StackDnsTransport(Func<UdpEndpoint, UdpSocketCore> bind) : IDnsTransport
{
    public const ushort DnsPort = 53;

    public IDnsChannel Open(IPAddress server)
    {
        var any = server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        // Unspecified local address: the socket sends from the interface address of the server's family.
        var socket = bind(UdpEndpoint.FromIPEndPoint(new IPEndPoint(any, 0)));
        return new Channel(socket, UdpEndpoint.FromIPEndPoint(new IPEndPoint(server, DnsPort)));
    }

    private sealed class Channel(UdpSocketCore socket, UdpEndpoint server) : IDnsChannel
    {
        public void Send(ReadOnlySpan<byte> query)
        {
            var error = socket.SendTo(query, server);
            if (error != SocketError.Success) throw new SocketException((int)error);
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                int length = TryReceive(buffer.Span);
                if (length >= 0) return length;
                await socket.ReceiveSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>A datagram from the server, or -1 when none is queued; throws for an error or a closed socket.</summary>
        private int TryReceive(Span<byte> buffer)
        {
            while (true)
            {
                int length = socket.ReceiveFrom(buffer, out var remote);
                if (length >= 0)
                {
                    if (remote == server) return length;
                    continue; // someone else's datagram on our port: not an answer (RFC 5452 9.1)
                }
                if (length == -2) throw new SocketException((int)SocketError.OperationAborted);
                var error = socket.TakePendingError();
                if (error != SocketError.Success) throw new SocketException((int)error);
                return -1;
            }
        }

        public void Dispose() => socket.Close();
    }
}
