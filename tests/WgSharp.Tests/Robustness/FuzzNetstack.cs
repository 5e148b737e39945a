using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Icmp;
using WgSharp.Netstack.Ip;
using WgSharp.Netstack.Udp;
using WgSharp.Packets;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The "netstack" fuzz target: packets a peer sends, through the stack's input path as the core runs it (IP reader,
/// reassembly, then UDP or ICMP) on a fake host with local addresses 10.0.0.2 and fd00::2 and a UDP socket on [::]:7.
/// TCP is not driven yet (its layer is written separately): once Netstack can be built without a device, feed the
/// same packets to Netstack.Input instead, which covers TCP too.
/// </summary>
public static class FuzzNetstack
{
    internal static readonly byte[] LocalV4 = [10, 0, 0, 2];
    internal static readonly byte[] LocalV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    internal static readonly byte[] RemoteV4 = [10, 0, 0, 1];
    internal static readonly byte[] RemoteV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>Mode bit: recompute the IPv4 header and UDP/ICMP checksums, so the fuzzer gets past them.</summary>
    public const byte FixChecksums = 1;

    /// <summary>
    /// First byte: mode bits (<see cref="FixChecksums"/>). Then packets, each as a 2-byte big-endian length and
    /// that many bytes (the last one may be cut short). The clock advances 1 s per packet, so reassembly times out.
    /// </summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        byte mode = input[0];
        input = input[1..];
        var host = new Host();
        var udp = new UdpLayer(host, new UdpSettings { MaxSockets = 8, ReceiveQueueBytes = 8192, SendQueueBytes = 8192 });
        var icmp = new IcmpLayer(host, new NoTcp(), udp);
        udp.Icmp = icmp;
        var reassembler = new IpReassembler(host.Counters, maxDatagrams: 4, maxBytes: 64 * 1024, timeoutMs: 5000);
        var socket = udp.Bind(UdpEndpoint.Create(new byte[16], 7)); // [::]: takes IPv4 too
        var reassembled = new byte[PacketBatch.MaxPacketSize];
        var receiveBuffer = new byte[2048];
        var produced = new byte[host.Mtu];

        while (input.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input), input.Length - 2);
            var packet = input.Slice(2, length).ToArray();
            input = input[(2 + length)..];
            if ((mode & FixChecksums) != 0) FixAllChecksums(packet);
            host.NowMs += 1000;
            Input(host, reassembler, udp, icmp, packet, reassembled);
            while (socket.ReceiveFrom(receiveBuffer, out var from) >= 0)
            {
                // Echo it back: exercises the send path with peer-chosen addresses and ports.
                if (from.Port != 0) socket.SendTo(receiveBuffer.AsSpan(0, 16), from);
            }
            socket.TakePendingError();
            while (socket.Produce(produced, host.NowMs) > 0) { }
        }
        udp.Dispose();
        icmp.Dispose();
    }

    /// <summary>What Netstack.Input does with one packet (minus TCP).</summary>
    private static void Input(Host host, IpReassembler reassembler, UdpLayer udp, IcmpLayer icmp, byte[] packet, byte[] reassembled)
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

    private sealed class NoTcp : IIcmpErrorSink
    {
        public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard) { }
    }

    /// <summary>A host that sends nowhere: one-off packets are built (and checked for size) and dropped.</summary>
    private sealed class Host : INetstackHost
    {
        public long NowMs { get; set; } = 1_000_000;
        public int Mtu => 1420;
        public NetstackCounters Counters { get; } = new();
        public void RequestOutput(StackSocket socket) { }
        public void ScheduleTimer(StackSocket socket, long deadlineMs) { }

        public bool TrySendPacket(ReadOnlySpan<byte> packet)
        {
            if (packet.Length > Mtu) throw new InvalidOperationException("a layer sent a packet larger than the MTU");
            if (IpPacketReader.TryRead(packet, out _) != IpReadResult.Ok) throw new InvalidOperationException("a layer sent a malformed packet");
            return true;
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
