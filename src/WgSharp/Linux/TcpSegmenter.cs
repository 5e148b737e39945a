using System.Runtime.Versioning;
using WgSharp.Packets;
using System.Buffers.Binary;

namespace WgSharp.Linux;

/// <summary>
/// Turns what a TUN with offloads hands us into ordinary packets: completes a partial transport
/// checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) and cuts a TCP super-packet (GSO TCPv4/TCPv6) into
/// MSS-sized segments with their own IP length/id, TCP sequence number, flags and checksums —
/// what the NIC would do in hardware. Every offset is checked against the packet length.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class TcpSegmenter
{
    private const byte ProtocolTcp = 6;
    private const int TcpFlagsOffset = 13;
    private const int TcpChecksumOffset = 16;
    private const byte TcpFin = 0x01, TcpPsh = 0x08, TcpCwr = 0x80;

    /// <summary>Completes the transport checksum in place when the header asks for it; false if the offsets are bogus.</summary>
    public static bool CompleteChecksum(Span<byte> packet, in VirtioNetHeader header)
    {
        if (!header.NeedsChecksum) return true;
        int start = header.ChecksumStart, field = start + header.ChecksumOffset;
        if (start >= packet.Length || field + 2 > packet.Length) return false;
        // The field holds the pseudo-header sum already; the sum over [start, end) including it is the checksum.
        ushort value = InternetChecksum.Finish(InternetChecksum.Add(0, packet[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(packet[field..], value);
        return true;
    }

    /// <summary>
    /// Describes a GSO TCP packet: header length (IP + TCP) and segment count. False when it is not
    /// a TCP packet we can segment (unknown GSO type, IPv6 extension headers, bad lengths).
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out int headerLength, out int segments)
    {
        headerLength = 0;
        segments = 0;
        int gso = header.GsoType & ~VirtioNetHeader.GsoEcn;
        if (gso != VirtioNetHeader.GsoTcpV4 && gso != VirtioNetHeader.GsoTcpV6) return false;
        if (header.GsoSize == 0 || packet.Length < 20) return false;
        int ipLength;
        if (gso == VirtioNetHeader.GsoTcpV4)
        {
            if (packet[0] >> 4 != 4) return false;
            ipLength = (packet[0] & 0xF) * 4;
            if (ipLength < 20 || packet.Length < ipLength || packet[9] != ProtocolTcp) return false;
        }
        else
        {
            if (packet.Length < 40 || packet[0] >> 4 != 6 || packet[6] != ProtocolTcp) return false;
            ipLength = 40;
        }
        if (packet.Length < ipLength + 20) return false;
        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        if (tcpLength < 20 || packet.Length < ipLength + tcpLength) return false;
        headerLength = ipLength + tcpLength;
        int payload = packet.Length - headerLength;
        segments = payload == 0 ? 1 : (payload + header.GsoSize - 1) / header.GsoSize;
        return true;
    }

    /// <summary>Writes segment <paramref name="index"/> of a planned GSO packet into destination; returns its length.</summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in VirtioNetHeader header, int headerLength, int segments, int index, Span<byte> destination)
    {
        int payloadOffset = index * header.GsoSize;
        int payloadLength = Math.Min(header.GsoSize, packet.Length - headerLength - payloadOffset);
        int length = headerLength + payloadLength;
        var segment = destination[..length];
        packet[..headerLength].CopyTo(segment);
        packet.Slice(headerLength + payloadOffset, payloadLength).CopyTo(segment[headerLength..]);

        bool v4 = packet[0] >> 4 == 4;
        int ipLength = v4 ? (packet[0] & 0xF) * 4 : 40;
        var tcp = segment[ipLength..];
        int tcpLength = length - ipLength;
        if (v4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], unchecked((ushort)(id + index)));
            segment[10] = 0;
            segment[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Finish(InternetChecksum.Add(0, segment[..ipLength])));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)tcpLength);
        }

        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipLength + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], unchecked(sequence + (uint)payloadOffset));
        byte flags = tcp[TcpFlagsOffset];
        if (index != segments - 1) flags &= unchecked((byte)~(TcpFin | TcpPsh));
        if (index != 0) flags &= unchecked((byte)~TcpCwr);
        tcp[TcpFlagsOffset] = flags;

        // Full checksum: pseudo-header (addresses, protocol, TCP length) + TCP header + payload.
        tcp[TcpChecksumOffset] = 0;
        tcp[TcpChecksumOffset + 1] = 0;
        ulong sum = v4 ? InternetChecksum.Add(0, segment.Slice(12, 8)) : InternetChecksum.Add(0, segment.Slice(8, 32));
        sum = InternetChecksum.Add(sum, ProtocolTcp);
        sum = InternetChecksum.Add(sum, (ushort)tcpLength);
        sum = InternetChecksum.Add(sum, tcp);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumOffset..], InternetChecksum.Finish(sum));
        return length;
    }
}
