using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Netstack.Udp;

/// <summary>One bound UDP socket of the stack. Thread-safe; waiting on <see cref="ReceiveSignal"/>.</summary>
internal sealed class UdpSocketCore : StackSocket
{
    /// <summary>Not part of the contract: the IP helper replaces this stub.</summary>
    private UdpSocketCore() => throw new NotImplementedException("IP helper");

    public UdpEndpoint LocalEndPoint => throw new NotImplementedException();

    /// <summary>
    /// Queues one datagram to <paramref name="remote"/> (copied): Success; MessageSize when it does not fit the MTU (no
    /// fragmentation on send); NoBufferSpaceAvailable when the send queue is full; NetworkUnreachable when no address
    /// or route of that family; OperationAborted when closed.
    /// </summary>
    public SocketError SendTo(ReadOnlySpan<byte> payload, in UdpEndpoint remote) => throw new NotImplementedException();

    /// <summary>
    /// Takes the oldest received datagram: its length (copied into <paramref name="destination"/>, the rest of a longer one
    /// cut off), with its source; -1 when none is queued (wait on <see cref="ReceiveSignal"/>); -2 when closed.
    /// </summary>
    public int ReceiveFrom(Span<byte> destination, out UdpEndpoint remote) => throw new NotImplementedException();

    /// <summary>An ICMP error for a datagram this socket sent (ConnectionRefused for port unreachable), once; Success when none.</summary>
    public SocketError TakePendingError() => throw new NotImplementedException();

    /// <summary>Set when a datagram or an ICMP error arrives, or on close.</summary>
    public AsyncSignal ReceiveSignal => throw new NotImplementedException();

    public void Close() => throw new NotImplementedException();

    public override int Produce(Span<byte> packet, long nowMs) => throw new NotImplementedException();
}
