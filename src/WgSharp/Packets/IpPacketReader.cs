using System.Buffers.Binary;

namespace WgSharp.Packets;

/// <summary>
/// Parses IPv4 and IPv6 headers for the userspace stack: every length checked before it is read, IPv6 extension
/// headers skipped (bounded), fragments reported for reassembly. Pure: no state, no allocation.
/// </summary>
internal static class IpPacketReader
{
    /// <summary>The most IPv6 extension headers walked before a packet is refused (a peer could chain many tiny ones).</summary>
    public const int MaxExtensionHeaders = 8;

    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte DestinationOptions = 60;

    /// <summary>Reads <paramref name="packet"/>; on anything but <see cref="IpReadResult.Ok"/>, <paramref name="info"/> is default.</summary>
    public static IpReadResult TryRead(ReadOnlySpan<byte> packet, out IpPacketInfo info)
    {
        info = default;
        if (packet.IsEmpty) return IpReadResult.Malformed;
        return (packet[0] >> 4) switch
        {
            4 => TryReadIPv4(packet, out info),
            6 => TryReadIPv6(packet, out info),
            _ => IpReadResult.Malformed,
        };
    }

    private static IpReadResult TryReadIPv4(ReadOnlySpan<byte> packet, out IpPacketInfo info)
    {
        info = default;
        if (packet.Length < IpPacketWriter.IPv4HeaderLength) return IpReadResult.Malformed;
        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < IpPacketWriter.IPv4HeaderLength || headerLength > packet.Length) return IpReadResult.Malformed;
        if (totalLength < headerLength || totalLength > packet.Length) return IpReadResult.Malformed;
        if (InternetChecksum.Fold(InternetChecksum.Add(0, packet[..headerLength])) != 0xFFFF) return IpReadResult.Malformed;

        packet = packet[..totalLength]; // bytes beyond the total length are link padding
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        bool moreFragments = (flagsAndOffset & 0x2000) != 0;
        int fragmentOffset = (flagsAndOffset & 0x1FFF) * 8;
        info = new IpPacketInfo
        {
            IsIPv6 = false,
            Source = packet.Slice(12, 4),
            Destination = packet.Slice(16, 4),
            Protocol = packet[9],
            Payload = packet[headerLength..],
            HopLimit = packet[8],
            Packet = packet,
            IsFragment = moreFragments || fragmentOffset != 0,
            FragmentOffset = fragmentOffset,
            MoreFragments = moreFragments,
            FragmentId = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]),
            HeaderLength = headerLength,
        };
        return IpReadResult.Ok;
    }

    private static IpReadResult TryReadIPv6(ReadOnlySpan<byte> packet, out IpPacketInfo info)
    {
        info = default;
        if (packet.Length < IpPacketWriter.IPv6HeaderLength) return IpReadResult.Malformed;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        // A zero payload length with a Hop-by-Hop header means a jumbogram, which cannot occur in a tunnel packet.
        if (IpPacketWriter.IPv6HeaderLength + payloadLength > packet.Length) return IpReadResult.Malformed;
        packet = packet[..(IpPacketWriter.IPv6HeaderLength + payloadLength)];

        byte next = packet[6];
        int offset = IpPacketWriter.IPv6HeaderLength;
        bool isFragment = false, moreFragments = false;
        int fragmentOffset = 0;
        uint fragmentId = 0;
        int headerLength = IpPacketWriter.IPv6HeaderLength;
        for (int count = 0; ; count++)
        {
            if (next is not (HopByHop or Routing or Fragment or DestinationOptions)) break;
            if (count >= MaxExtensionHeaders) return IpReadResult.Unsupported;
            if (next == HopByHop && count != 0) return IpReadResult.Malformed; // RFC 8200 4.1: only right after the fixed header
            if (packet.Length - offset < 8) return IpReadResult.Malformed;
            if (next == Fragment)
            {
                ushort offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
                isFragment = true;
                fragmentOffset = (offsetAndFlags >> 3) * 8;
                moreFragments = (offsetAndFlags & 1) != 0;
                fragmentId = BinaryPrimitives.ReadUInt32BigEndian(packet[(offset + 4)..]);
                headerLength = offset;
                next = packet[offset];
                offset += 8;
                // What follows belongs to the fragmentable part: only whole-datagram reassembly can read it.
                break;
            }
            int length = (packet[offset + 1] + 1) * 8;
            if (length > packet.Length - offset) return IpReadResult.Malformed;
            if (next == Routing && packet[offset + 3] != 0) return IpReadResult.Unsupported;
            next = packet[offset];
            offset += length;
        }
        if (!isFragment) headerLength = offset;

        info = new IpPacketInfo
        {
            IsIPv6 = true,
            Source = packet.Slice(8, 16),
            Destination = packet.Slice(24, 16),
            Protocol = next,
            Payload = packet[offset..],
            HopLimit = packet[7],
            Packet = packet,
            IsFragment = isFragment,
            FragmentOffset = fragmentOffset,
            MoreFragments = moreFragments,
            FragmentId = fragmentId,
            HeaderLength = headerLength,
        };
        return IpReadResult.Ok;
    }
}

/// <summary>Writes IPv4 and IPv6 headers for packets the stack sends.</summary>
internal static class IpPacketWriter
{
    public const int IPv4HeaderLength = 20;
    public const int IPv6HeaderLength = 40;

    /// <summary>The header length for the family of <paramref name="address"/> (4 or 16 bytes).</summary>
    public static int HeaderLength(ReadOnlySpan<byte> address) => address.Length == 4 ? IPv4HeaderLength : IPv6HeaderLength;

    /// <summary>
    /// Writes an IPv4 (4-byte addresses, header checksum filled, DF set) or IPv6 (16-byte addresses) header for
    /// <paramref name="payloadLength"/> upper-layer bytes at the start of <paramref name="packet"/>; returns the header length.
    /// </summary>
    public static int WriteHeader(Span<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int payloadLength, byte hopLimit = 64)
    {
        if (source.Length == 4)
        {
            var header = packet[..IPv4HeaderLength];
            header[0] = 0x45;
            header[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(IPv4HeaderLength + payloadLength));
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], 0);      // ID 0: DF is set, so it is never fragmented (RFC 6864)
            BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0x4000); // DF
            header[8] = hopLimit;
            header[9] = protocol;
            header[10] = 0;
            header[11] = 0;
            source.CopyTo(header[12..]);
            destination.CopyTo(header[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Finish(InternetChecksum.Add(0, header)));
            return IPv4HeaderLength;
        }
        var v6 = packet[..IPv6HeaderLength];
        BinaryPrimitives.WriteUInt32BigEndian(v6, 0x60000000); // version 6, traffic class 0, flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(v6[4..], (ushort)payloadLength);
        v6[6] = protocol;
        v6[7] = hopLimit;
        source.CopyTo(v6[8..]);
        destination.CopyTo(v6[24..]);
        return IPv6HeaderLength;
    }
}
