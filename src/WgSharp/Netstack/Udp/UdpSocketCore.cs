using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Udp;

/// <summary>One bound UDP socket of the stack. Thread-safe; waiting on <see cref="ReceiveSignal"/>.</summary>
internal sealed class UdpSocketCore : StackSocket
{
    private readonly UdpLayer _layer;
    private readonly Lock _lock = new();
    private readonly DatagramQueue _received;
    private readonly DatagramQueue _toSend;
    private SocketError _pendingError;
    private bool _closed;

    internal UdpSocketCore(UdpLayer layer, UdpEndpoint local, bool isUnspecified)
    {
        _layer = layer;
        LocalEndPoint = local;
        IsUnspecified = isUnspecified;
        _received = new DatagramQueue(layer.Settings.ReceiveQueueBytes);
        _toSend = new DatagramQueue(layer.Settings.SendQueueBytes);
    }

    public UdpEndpoint LocalEndPoint { get; }

    /// <summary>Bound to the unspecified address (every address of its family; for [::], IPv4 too).</summary>
    internal bool IsUnspecified { get; }

    /// <summary>
    /// Queues one datagram to <paramref name="remote"/> (copied): Success; MessageSize when it does not fit the MTU (no
    /// fragmentation on send); NoBufferSpaceAvailable when the send queue is full; NetworkUnreachable when no address
    /// or route of that family; OperationAborted when closed.
    /// </summary>
    public SocketError SendTo(ReadOnlySpan<byte> payload, in UdpEndpoint remote)
    {
        var host = _layer.Host;
        if (remote.IsEmpty || remote.Port == 0) return SocketError.AddressNotAvailable;
        if (IpPacketWriter.HeaderLength(remote.AddressSpan) + UdpLayer.HeaderLength + payload.Length > host.Mtu) return SocketError.MessageSize;
        UdpEndpoint source;
        if (!IsUnspecified)
        {
            if (remote.IsIPv4 != LocalEndPoint.IsIPv4) return SocketError.NetworkUnreachable;
            source = LocalEndPoint;
        }
        else
        {
            // An IPv4 socket cannot reach IPv6; a [::] socket reaches both (dual stack).
            if (LocalEndPoint.IsIPv4 && !remote.IsIPv4) return SocketError.NetworkUnreachable;
            if (!host.TrySelectSource(remote, out source)) return SocketError.NetworkUnreachable;
        }
        if (!host.HasRoute(remote.AddressSpan)) return SocketError.NetworkUnreachable;
        lock (_lock)
        {
            if (_closed) return SocketError.OperationAborted;
            if (!_toSend.TryEnqueue(payload, remote, source)) return SocketError.NoBufferSpaceAvailable;
        }
        host.RequestOutput(this);
        return SocketError.Success;
    }

    /// <summary>
    /// Takes the oldest received datagram: its length (copied into <paramref name="destination"/>, the rest of a longer one
    /// cut off), with its source; -1 when none is queued (wait on <see cref="ReceiveSignal"/>); -2 when closed.
    /// </summary>
    public int ReceiveFrom(Span<byte> destination, out UdpEndpoint remote)
    {
        lock (_lock)
        {
            if (_closed)
            {
                remote = default;
                return -2;
            }
            if (!_received.TryPeek(out var data, out remote, out _)) return -1;
            int length = Math.Min(data.Length, destination.Length);
            data[..length].CopyTo(destination);
            _received.Dequeue();
            return length;
        }
    }

    /// <summary>An ICMP error for a datagram this socket sent (ConnectionRefused for port unreachable), once; Success when none.</summary>
    public SocketError TakePendingError()
    {
        lock (_lock)
        {
            var error = _pendingError;
            _pendingError = SocketError.Success;
            return error;
        }
    }

    /// <summary>Set when a datagram or an ICMP error arrives, or on close.</summary>
    public AsyncSignal ReceiveSignal { get; } = new();

    public void Close()
    {
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            _received.Clear();
            _toSend.Clear();
        }
        _layer.Unbind(this);
        ReceiveSignal.Set();
    }

    public override int Produce(Span<byte> packet, long nowMs)
    {
        lock (_lock)
        {
            while (_toSend.TryPeek(out var data, out var remote, out var source))
            {
                int headerLength = IpPacketWriter.HeaderLength(remote.AddressSpan);
                int total = headerLength + UdpLayer.HeaderLength + data.Length;
                if (total > packet.Length)
                {
                    // The MTU shrank since SendTo: the datagram no longer fits and is dropped (as a kernel would).
                    _toSend.Dequeue();
                    continue;
                }
                IpPacketWriter.WriteHeader(packet, source.AddressSpan, remote.AddressSpan, IpProtocol.Udp, UdpLayer.HeaderLength + data.Length);
                WriteUdp(packet[headerLength..total], source.AddressSpan, LocalEndPoint.Port, remote.AddressSpan, remote.Port, data);
                _toSend.Dequeue();
                return total;
            }
            return 0;
        }
    }

    /// <summary>Writes a UDP header (checksum over the pseudo-header) and <paramref name="data"/> into <paramref name="udp"/> (exactly their length).</summary>
    internal static void WriteUdp(Span<byte> udp, ReadOnlySpan<byte> source, ushort sourcePort, ReadOnlySpan<byte> destination, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        data.CopyTo(udp[UdpLayer.HeaderLength..]);
        ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, udp.Length), udp));
        // A computed zero is sent as all ones: zero would mean "no checksum" (RFC 768).
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    /// <summary>A datagram for this socket (on a device receive thread); false when the receive queue is full or closed.</summary>
    internal bool Deliver(in UdpEndpoint remote, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_closed || !_received.TryEnqueue(data, remote, LocalEndPoint)) return false;
        }
        ReceiveSignal.Set();
        return true;
    }

    internal void OnIcmpError(SocketError error)
    {
        lock (_lock)
        {
            if (_closed) return;
            _pendingError = error;
        }
        ReceiveSignal.Set();
    }
}
