using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Icmp;
using WgSharp.Netstack.Ip;
using WgSharp.Netstack.Tcp;
using WgSharp.Netstack.Udp;
using WgSharp.Packets;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The "netstack" fuzz target: packets a peer sends, through the stack's input path as the core runs it (IP reader,
/// reassembly, then UDP, ICMP or TCP) on a fake host with local addresses 10.0.0.2 and fd00::2, a UDP socket on [::]:7
/// and a TCP listener on port 80 of both families whose connections echo. What the stack sends is produced and
/// checked, and its timers run as the clock moves.
/// </summary>
public static class FuzzNetstack
{
    internal static readonly byte[] LocalV4 = [10, 0, 0, 2];
    internal static readonly byte[] LocalV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    internal static readonly byte[] RemoteV4 = [10, 0, 0, 1];
    internal static readonly byte[] RemoteV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>Mode bit: recompute the IPv4 header and UDP/ICMP/TCP checksums, so the fuzzer gets past them.</summary>
    public const byte FixChecksums = 1;

    /// <summary>
    /// Mode bit: a TCP segment's acknowledgment number counts from the initial sequence number the stack chose for that
    /// remote port (its SYN-ACK), so the fuzzer completes handshakes and reaches the established states although
    /// our ISNs are keyed and random (RFC 6528).
    /// </summary>
    public const byte RelativeAcks = 2;

    /// <summary>Mode bit: the clock advances 10 ms per packet instead of 1 s (retransmission and delayed-ACK timers, not only timeouts).</summary>
    public const byte FineClock = 4;

    /// <summary>
    /// First byte: mode bits (<see cref="FixChecksums"/>, <see cref="RelativeAcks"/>, <see cref="FineClock"/>). Then
    /// packets, each as a 2-byte big-endian length and that many bytes (the last one may be cut short). The clock
    /// advances 1 s per packet (10 ms with <see cref="FineClock"/>), so reassembly and TCP timers expire.
    /// </summary>
    public static void Run(ReadOnlySpan<byte> input) => RunAndCount(input);

    /// <summary><see cref="Run"/>, returning the stack's counters (tests check how deep a seed gets).</summary>
    internal static NetstackCounters RunAndCount(ReadOnlySpan<byte> input)
    {
        var host = new Host();
        if (input.IsEmpty) return host.Counters;
        byte mode = input[0];
        input = input[1..];
        var udp = new UdpLayer(host, new UdpSettings { MaxSockets = 8, ReceiveQueueBytes = 8192, SendQueueBytes = 8192 });
        var tcp = new TcpLayer(host, new TcpSettings
        {
            MaxConnections = 16, SynBacklog = 4, MaxAcceptQueue = 4, SendBufferSize = 16 * 1024, ReceiveBufferSize = 16 * 1024,
            MaxOutOfOrderBytes = 16 * 1024, TimeWait = TimeSpan.FromSeconds(5), KeepAliveIdle = TimeSpan.FromSeconds(30),
        });
        var icmp = new IcmpLayer(host, tcp, udp);
        udp.Icmp = icmp;
        var reassembler = new IpReassembler(host.Counters, maxDatagrams: 4, maxBytes: 64 * 1024, timeoutMs: 5000);
        var socket = udp.Bind(UdpEndpoint.Create(new byte[16], 7)); // [::]: takes IPv4 too
        var listeners = new[] { tcp.Listen(UdpEndpoint.Create(new byte[4], 80), 4), tcp.Listen(UdpEndpoint.Create(new byte[16], 80), 4) };
        var connections = new List<TcpConnection>();
        var reassembled = new byte[PacketBatch.MaxPacketSize];
        var receiveBuffer = new byte[2048];
        int step = (mode & FineClock) != 0 ? 10 : 1000;

        while (input.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input), input.Length - 2);
            var packet = input.Slice(2, length).ToArray();
            input = input[(2 + length)..];
            if ((mode & RelativeAcks) != 0) host.MakeAckAbsolute(packet);
            if ((mode & FixChecksums) != 0) FixAllChecksums(packet);
            host.NowMs += step;
            Input(host, reassembler, udp, icmp, tcp, packet, reassembled);
            while (socket.ReceiveFrom(receiveBuffer, out var from) >= 0)
            {
                // Echo it back: exercises the send path with peer-chosen addresses and ports.
                if (from.Port != 0) socket.SendTo(receiveBuffer.AsSpan(0, 16), from);
            }
            socket.TakePendingError();
            foreach (var listener in listeners)
            {
                while (listener.TryAccept() is { } accepted) connections.Add(accepted);
            }
            foreach (var connection in connections)
            {
                // Echo what arrived: the send path, windows and FIN handling with peer-chosen numbers.
                int read = connection.Receive(receiveBuffer);
                if (read > 0) connection.Send(receiveBuffer.AsSpan(0, read));
                else if (read == 0) connection.Close();
            }
            host.RunTimersAndOutput();
        }
        udp.Dispose();
        tcp.Dispose();
        icmp.Dispose();
        return host.Counters;
    }

    /// <summary>What Netstack.Input does with one packet.</summary>
    private static void Input(Host host, IpReassembler reassembler, UdpLayer udp, IcmpLayer icmp, TcpLayer tcp, byte[] packet, byte[] reassembled)
    {
        if (IpPacketReader.TryRead(packet, out var ip) != IpReadResult.Ok || !host.IsLocalAddress(ip.Destination)) return;
        if (ip.IsFragment)
        {
            int length = reassembler.Add(ip, host.NowMs, reassembled);
            if (length == 0) return;
            if (IpPacketReader.TryRead(reassembled.AsSpan(0, length), out ip) != IpReadResult.Ok || ip.IsFragment) return;
        }
        switch (ip.Protocol)
        {
            case IpProtocol.Udp: udp.Input(ip); break;
            case IpProtocol.Tcp: tcp.Input(ip); break;
            case IpProtocol.Icmp when !ip.IsIPv6: icmp.Input(ip); break;
            case IpProtocol.Icmpv6 when ip.IsIPv6: icmp.Input(ip); break;
        }
    }

    /// <summary>Best effort: fixes the IPv4 header checksum, then the UDP/ICMP checksum of an unfragmented packet.</summary>
    internal static void FixAllChecksums(byte[] packet)
    {
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            int header = (packet[0] & 0xF) * 4;
            if (header < 20 || header > packet.Length) return;
            packet[10] = packet[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Finish(InternetChecksum.Add(0, packet.AsSpan(0, header))));
        }
        if (IpPacketReader.TryRead(packet, out var ip) != IpReadResult.Ok || ip.IsFragment) return;
        int offset = ip.Packet.Length - ip.Payload.Length;
        var payload = packet.AsSpan(offset, ip.Payload.Length);
        switch (ip.Protocol)
        {
            case IpProtocol.Udp when payload.Length >= 8:
            {
                int udpLength = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(payload[4..]), 8, payload.Length);
                var udp = payload[..udpLength];
                udp[6] = udp[7] = 0;
                ushort sum = InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Udp, udp.Length), udp));
                BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
                break;
            }
            case IpProtocol.Tcp when payload.Length >= 20:
                payload[16] = payload[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(payload[16..],
                    InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Tcp, payload.Length), payload)));
                break;
            case IpProtocol.Icmp or IpProtocol.Icmpv6 when payload.Length >= 4:
                IcmpLayer.WriteChecksum(payload, ip.IsIPv6, ip.Source, ip.Destination);
                break;
        }
    }

    /// <summary>Seeds: valid UDP, ICMP echo and error, and fragment pairs, for both families.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        byte[] data = [0x68, 0x65, 0x6C, 0x6C, 0x6F];
        yield return ("udp4", Records(0, UdpPacket(RemoteV4, LocalV4, 5353, 7, data)));
        yield return ("udp6", Records(0, UdpPacket(RemoteV6, LocalV6, 5353, 7, data)));
        yield return ("udp4-closed-port", Records(0, UdpPacket(RemoteV4, LocalV4, 5353, 9, data)));
        yield return ("udp6-closed-port-fix", Records(FixChecksums, UdpPacket(RemoteV6, LocalV6, 5353, 9, data)));
        yield return ("echo4", Records(0, IcmpPacket(RemoteV4, LocalV4, 8, [0, 1, 0, 1, 1, 2, 3])));
        yield return ("echo6", Records(0, IcmpPacket(RemoteV6, LocalV6, 128, [0, 1, 0, 1, 1, 2, 3])));
        var sent4 = UdpPacket(LocalV4, RemoteV4, 7, 5353, data);
        var sent6 = UdpPacket(LocalV6, RemoteV6, 7, 5353, data);
        yield return ("unreachable4", Records(0, IcmpPacket(RemoteV4, LocalV4, 3, [3, 0, 0, 0, 0, .. sent4])));
        yield return ("unreachable6", Records(0, IcmpPacket(RemoteV6, LocalV6, 1, [4, 0, 0, 0, 0, .. sent6])));
        var udp = Udp(RemoteV4, LocalV4, 5353, 7, new byte[40]);
        yield return ("fragments4", Records(0, Fragment4(udp, 0, 24, true), Fragment4(udp, 24, udp.Length - 24, false)));
        var udp6 = Udp(RemoteV6, LocalV6, 5353, 7, new byte[40]);
        yield return ("fragments6", Records(0, Fragment6(udp6, 24, udp6.Length - 24, false), Fragment6(udp6, 0, 24, true)));
        foreach (var seed in TcpSeeds()) yield return seed;
    }

    /// <summary>TCP seeds (acknowledgments relative to our ISN): a whole connection, out-of-order data with SACK, a reset.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> TcpSeeds()
    {
        const byte Mode = FixChecksums | RelativeAcks | FineClock;
        const byte Syn = 0x02, Ack = 0x10, Psh = 0x08, Fin = 0x01, Rst = 0x04;
        byte[] synOptions = [2, 4, 0x05, 0x28, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1];
        byte[] hello = [0x68, 0x65, 0x6C, 0x6C, 0x6F];
        foreach (var (name, remote, local) in new[] { ("tcp4", RemoteV4, LocalV4), ("tcp6", RemoteV6, LocalV6) })
        {
            yield return (name + "-session", Records(Mode,
                TcpPacket(remote, local, 1000, 0, Syn, synOptions, []),
                TcpPacket(remote, local, 1001, 1, Ack, [], []),
                TcpPacket(remote, local, 1001, 1, Psh | Ack, [], hello),
                TcpPacket(remote, local, 1006, 6, Fin | Ack, [], []),
                TcpPacket(remote, local, 1007, 7, Ack, [], [])));
        }
        yield return ("tcp4-out-of-order-sack", Records(Mode,
            TcpPacket(RemoteV4, LocalV4, 5000, 0, Syn, synOptions, []),
            TcpPacket(RemoteV4, LocalV4, 5001, 1, Ack, [], []),
            TcpPacket(RemoteV4, LocalV4, 5011, 1, Psh | Ack, [], hello),
            TcpPacket(RemoteV4, LocalV4, 5001, 1, Psh | Ack, [], [.. hello, .. hello]),
            TcpPacket(RemoteV4, LocalV4, 5016, 3, Ack, [1, 1, 5, 10, 0, 0, 0, 2, 0, 0, 0, 3], [])));
        yield return ("tcp4-reset", Records(Mode,
            TcpPacket(RemoteV4, LocalV4, 7000, 0, Syn, [], []),
            TcpPacket(RemoteV4, LocalV4, 7001, 0, Rst, [], [])));
    }

    private static byte[] TcpPacket(byte[] source, byte[] destination, uint seq, uint ack, byte flags, byte[] options, byte[] data)
    {
        int header = 20 + (options.Length + 3) / 4 * 4;
        var tcp = new byte[header + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 80);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = (byte)(header / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        options.CopyTo(tcp, 20);
        data.CopyTo(tcp, header);
        var packet = Ip(source, destination, IpProtocol.Tcp, tcp);
        FixAllChecksums(packet);
        return packet;
    }

    private static byte[] Records(byte mode, params byte[][] packets)
    {
        var bytes = new List<byte> { mode };
        foreach (var packet in packets)
        {
            bytes.Add((byte)(packet.Length >> 8));
            bytes.Add((byte)packet.Length);
            bytes.AddRange(packet);
        }
        return [.. bytes];
    }

    private static byte[] Udp(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort, byte[] data)
    {
        var udp = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        data.CopyTo(udp, 8);
        ushort sum = InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, udp.Length), udp));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), sum == 0 ? (ushort)0xFFFF : sum);
        return udp;
    }

    private static byte[] Ip(byte[] source, byte[] destination, byte protocol, byte[] payload)
    {
        var packet = new byte[IpPacketWriter.HeaderLength(source) + payload.Length];
        int header = IpPacketWriter.WriteHeader(packet, source, destination, protocol, payload.Length);
        payload.CopyTo(packet, header);
        return packet;
    }

    private static byte[] UdpPacket(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort, byte[] data) =>
        Ip(source, destination, IpProtocol.Udp, Udp(source, destination, sourcePort, destinationPort, data));

    private static byte[] IcmpPacket(byte[] source, byte[] destination, byte type, byte[] codeAndRest)
    {
        bool v6 = source.Length == 16;
        byte[] message = [type, codeAndRest[0], 0, 0, .. codeAndRest[1..]];
        IcmpLayer.WriteChecksum(message, v6, source, destination);
        return Ip(source, destination, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, message);
    }

    private static byte[] Fragment4(byte[] udp, int offset, int length, bool more)
    {
        var packet = Ip(RemoteV4, LocalV4, IpProtocol.Udp, udp[offset..(offset + length)]);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((offset / 8) | (more ? 0x2000 : 0)));
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Finish(InternetChecksum.Add(0, packet.AsSpan(0, 20))));
        return packet;
    }

    private static byte[] Fragment6(byte[] udp, int offset, int length, bool more)
    {
        byte[] fragmentHeader = [IpProtocol.Udp, 0, (byte)(offset >> 8), (byte)((offset & 0xF8) | (more ? 1 : 0)), 0, 0, 0x12, 0x34];
        return Ip(RemoteV6, LocalV6, 44, [.. fragmentHeader, .. udp[offset..(offset + length)]]);
    }

    /// <summary>
    /// A host that sends nowhere: what the layers send (one-off packets and sockets' output) is checked for size and
    /// form and dropped; the initial sequence number of each SYN-ACK is remembered for <see cref="RelativeAcks"/>.
    /// </summary>
    private sealed class Host : INetstackHost
    {
        private readonly List<StackSocket> _output = [];
        private readonly Dictionary<StackSocket, long> _timers = [];
        private readonly Dictionary<ushort, uint> _initialSequence = [];
        private readonly byte[] _produced = new byte[1420];

        public long NowMs { get; set; } = 1_000_000;
        public int Mtu => 1420;
        public NetstackCounters Counters { get; } = new();

        public void RequestOutput(StackSocket socket)
        {
            if (!_output.Contains(socket)) _output.Add(socket);
        }

        public void ScheduleTimer(StackSocket socket, long deadlineMs) => _timers[socket] = deadlineMs;

        public bool TrySendPacket(ReadOnlySpan<byte> packet)
        {
            Check(packet);
            return true;
        }

        /// <summary>Fires due timers, then drains every socket that asked to send (bounded: a socket never stops otherwise).</summary>
        public void RunTimersAndOutput()
        {
            foreach (var (socket, deadline) in _timers.ToArray())
            {
                if (deadline > NowMs) continue;
                _timers.Remove(socket);
                socket.OnTimer(NowMs);
            }
            for (int round = 0; round < 4 && _output.Count > 0; round++)
            {
                var sockets = _output.ToArray();
                _output.Clear();
                foreach (var socket in sockets)
                {
                    for (int packets = 0; packets < 64; packets++)
                    {
                        int length = socket.Produce(_produced, NowMs);
                        if (length == 0) break;
                        Check(_produced.AsSpan(0, length));
                    }
                }
            }
        }

        /// <summary>Adds the stack's initial sequence number for the segment's source port to its acknowledgment number.</summary>
        public void MakeAckAbsolute(byte[] packet)
        {
            if (IpPacketReader.TryRead(packet, out var ip) != IpReadResult.Ok || ip.IsFragment || ip.Protocol != IpProtocol.Tcp || ip.Payload.Length < 20) return;
            int offset = ip.Packet.Length - ip.Payload.Length;
            if (!_initialSequence.TryGetValue(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(offset)), out uint iss)) return;
            var ack = packet.AsSpan(offset + 8, 4);
            BinaryPrimitives.WriteUInt32BigEndian(ack, BinaryPrimitives.ReadUInt32BigEndian(ack) + iss);
        }

        private void Check(ReadOnlySpan<byte> packet)
        {
            if (packet.Length > Mtu) throw new InvalidOperationException("a layer sent a packet larger than the MTU");
            if (IpPacketReader.TryRead(packet, out var ip) != IpReadResult.Ok) throw new InvalidOperationException("a layer sent a malformed packet");
            // A SYN-ACK: remember our initial sequence number for the remote port.
            if (ip.Protocol == IpProtocol.Tcp && ip.Payload.Length >= 20 && (ip.Payload[13] & 0x12) == 0x12)
                _initialSequence[BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[2..])] = BinaryPrimitives.ReadUInt32BigEndian(ip.Payload[4..]);
        }

        public bool IsLocalAddress(ReadOnlySpan<byte> address) => address.SequenceEqual(LocalV4) || address.SequenceEqual(LocalV6);

        public bool TrySelectSource(in UdpEndpoint destination, out UdpEndpoint source)
        {
            source = UdpEndpoint.Create(destination.IsIPv4 ? LocalV4 : LocalV6, 0);
            return true;
        }

        public bool HasRoute(ReadOnlySpan<byte> destination) => true;
    }
}
