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
    public static int WriteHeader(Span<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int payloadLength, byte hopLimit = 64) =>
        throw new NotImplementedException("IP helper");
}
