using System.Buffers.Binary;
using WgSharp.Packets;

namespace WgSharp.Tests.Netstack.Ip;

/// <summary>Builds packets a peer might send, for the IP/UDP/ICMP tests (independent of the code under test where it matters: the IPv4 header is written by hand).</summary>
internal static class TestPackets
{
    /// <summary>An IPv4 header (with options of <paramref name="optionsLength"/> bytes) and payload; checksum right unless told.</summary>
    public static byte[] IPv4(byte[] source, byte[] destination, byte protocol, ReadOnlySpan<byte> payload, int optionsLength = 0,
        ushort id = 0, bool moreFragments = false, int fragmentOffset = 0, bool dontFragment = false, byte ttl = 64, int padding = 0)
    {
        int header = 20 + optionsLength;
        var packet = new byte[header + payload.Length + padding];
        packet[0] = (byte)(0x40 | (header / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(header + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
        ushort flags = (ushort)((fragmentOffset / 8) | (moreFragments ? 0x2000 : 0) | (dontFragment ? 0x4000 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flags);
        packet[8] = ttl;
        packet[9] = protocol;
        source.CopyTo(packet, 12);
        destination.CopyTo(packet, 16);
        for (int i = 20; i < header; i++) packet[i] = 1; // NOP options
        payload.CopyTo(packet.AsSpan(header));
        FixIPv4Checksum(packet);
        return packet;
    }

    public static void FixIPv4Checksum(byte[] packet)
    {
        int header = (packet[0] & 0xF) * 4;
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Finish(InternetChecksum.Add(0, packet.AsSpan(0, header))));
    }

    /// <summary>An IPv6 header, then <paramref name="extensions"/> (each: next-header byte filled in here) and payload.</summary>
    public static byte[] IPv6(byte[] source, byte[] destination, byte protocol, ReadOnlySpan<byte> payload, params (byte Type, byte[] Body)[] extensions)
    {
        int extLength = 0;
        foreach (var (_, body) in extensions) extLength += body.Length;
        var packet = new byte[40 + extLength + payload.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(extLength + payload.Length));
        packet[6] = extensions.Length > 0 ? extensions[0].Type : protocol;
        packet[7] = 64;
        source.CopyTo(packet, 8);
        destination.CopyTo(packet, 24);
        int offset = 40;
        for (int i = 0; i < extensions.Length; i++)
        {
            var body = extensions[i].Body;
            body.CopyTo(packet, offset);
            packet[offset] = i + 1 < extensions.Length ? extensions[i + 1].Type : protocol;
            offset += body.Length;
        }
        payload.CopyTo(packet.AsSpan(offset));
        return packet;
    }

    /// <summary>An options-style extension header (Hop-by-Hop, Destination Options, Routing) of <paramref name="length"/> bytes (a multiple of 8).</summary>
    public static byte[] Extension(int length, byte segmentsLeft = 0)
    {
        var body = new byte[length];
        body[1] = (byte)(length / 8 - 1);
        body[3] = segmentsLeft;
        if (segmentsLeft == 0) { body[2] = 1; body[3] = 0; } // options: a PadN over the rest (routing: type 1, 0 left)
        return body;
    }

    /// <summary>An IPv6 Fragment header body.</summary>
    public static byte[] FragmentHeader(int offset, bool more, uint id)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)(offset | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), id);
        return body;
    }

    /// <summary>A UDP header and data, the checksum over the pseudo-header (or <paramref name="checksum"/> when given).</summary>
    public static byte[] Udp(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data, ushort? checksum = null)
    {
        var udp = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        data.CopyTo(udp.AsSpan(8));
        ushort sum = InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, udp.Length), udp));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), checksum ?? (sum == 0 ? (ushort)0xFFFF : sum));
        return udp;
    }

    /// <summary>A whole UDP packet between the given addresses (family by address length).</summary>
    public static byte[] UdpPacket(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data, ushort? checksum = null)
    {
        var udp = Udp(source, destination, sourcePort, destinationPort, data, checksum);
        return source.Length == 4 ? IPv4(source, destination, IpProtocol.Udp, udp) : IPv6(source, destination, IpProtocol.Udp, udp);
    }

    /// <summary>A whole ICMP (v4) or ICMPv6 packet with a right checksum.</summary>
    public static byte[] IcmpPacket(byte[] source, byte[] destination, byte type, byte code, ReadOnlySpan<byte> rest)
    {
        bool v6 = source.Length == 16;
        var message = new byte[4 + rest.Length];
        message[0] = type;
        message[1] = code;
        rest.CopyTo(message.AsSpan(4));
        ulong sum = v6 ? InternetChecksum.PseudoHeader(source, destination, IpProtocol.Icmpv6, message.Length) : 0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(sum, message)));
        return v6 ? IPv6(source, destination, IpProtocol.Icmpv6, message) : IPv4(source, destination, IpProtocol.Icmp, message);
    }

    /// <summary>Reads <paramref name="packet"/> and asserts it is well-formed.</summary>
    public static IpPacketInfo Read(byte[] packet)
    {
        Xunit.Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var info));
        return info;
    }
}
