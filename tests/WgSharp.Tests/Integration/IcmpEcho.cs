using WgSharp.Packets;
using System.Buffers.Binary;

namespace WgSharp.Tests.Integration;

/// <summary>Just enough IPv4/ICMP to answer a ping from a test: recognise an echo request and turn it into a reply.</summary>
internal static class IcmpEcho
{
    /// <summary>True if <paramref name="packet"/> is a well-formed IPv4 ICMP echo request to <paramref name="destination"/>.</summary>
    public static bool IsEchoRequestTo(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> destination)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4)
            return false;
        var headerLength = (packet[0] & 0xf) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        return headerLength >= 20 && totalLength <= packet.Length && totalLength >= headerLength + 8 &&
               packet[9] == 1 && packet[headerLength] == 8 && packet.Slice(16, 4).SequenceEqual(destination);
    }

    /// <summary>Writes the echo reply for <paramref name="request"/> into <paramref name="reply"/>; returns its length.</summary>
    public static int BuildReply(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var headerLength = (request[0] & 0xf) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(request[2..]);
        request[..totalLength].CopyTo(reply);
        request.Slice(12, 4).CopyTo(reply[16..]); // destination := original source
        request.Slice(16, 4).CopyTo(reply[12..]); // source := original destination
        reply[8] = 64; // TTL
        reply[10] = reply[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply[10..], InternetChecksum(reply[..headerLength]));

        var icmp = reply[headerLength..totalLength];
        icmp[0] = 0; // echo reply
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum(icmp));
        return totalLength;
    }

    /// <summary>RFC 1071 ones'-complement sum.</summary>
    public static ushort InternetChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
