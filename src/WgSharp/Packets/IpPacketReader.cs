namespace WgSharp.Packets;

/// <summary>
/// Parses IPv4 and IPv6 headers for the userspace stack: every length checked before it is read, IPv6 extension
/// headers skipped (bounded), fragments reported for reassembly. Pure: no state, no allocation.
/// </summary>
internal static class IpPacketReader
{
    /// <summary>Reads <paramref name="packet"/>; on anything but <see cref="IpReadResult.Ok"/>, <paramref name="info"/> is default.</summary>
    public static IpReadResult TryRead(ReadOnlySpan<byte> packet, out IpPacketInfo info) =>
        throw new NotImplementedException("IP helper");
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
        // TEMP stub for the TCP branch's tests; the IP helper's implementation replaces it.
        if (source.Length == 4)
        {
            packet[0] = 0x45; packet[1] = 0;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)(20 + payloadLength));
            packet[4] = 0; packet[5] = 0; packet[6] = 0x40; packet[7] = 0;
            packet[8] = hopLimit; packet[9] = protocol; packet[10] = 0; packet[11] = 0;
            source.CopyTo(packet[12..]); destination.CopyTo(packet[16..]);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.Add(0, packet[..20])));
            return 20;
        }
        packet[0] = 0x60; packet[1] = 0; packet[2] = 0; packet[3] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)payloadLength);
        packet[6] = protocol; packet[7] = hopLimit;
        source.CopyTo(packet[8..]); destination.CopyTo(packet[24..]);
        return 40;
    }
}
