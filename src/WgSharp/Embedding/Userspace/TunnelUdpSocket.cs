using System.Net;
using System.Net.Sockets;

namespace WgSharp;

/// <summary>A UDP socket on the tunnel address. Datagrams larger than the tunnel MTU allows are refused (MessageSize).</summary>
public sealed class TunnelUdpSocket : IDisposable
{
    internal TunnelUdpSocket() => throw new NotImplementedException("API helper");

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint => throw new NotImplementedException();

    /// <summary>Sends one datagram; returns its length.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint remoteEndPoint, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Receives one datagram (cut to <paramref name="buffer"/>'s length) and who sent it.</summary>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Closes the socket; a pending receive ends with OperationAborted.</summary>
    public void Dispose() => throw new NotImplementedException();
}
