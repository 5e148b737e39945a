namespace WgSharp.Device;

/// <summary>Just enough of IPv4/IPv6 header parsing for cryptokey routing; every offset is length-checked.</summary>
internal static class IpPacket
{
    public const int IPv4HeaderMin = 20;
    public const int IPv6HeaderSize = 40;

    /// <summary>The destination address bytes (4 or 16) of an outbound packet, or empty if it is not IP.</summary>
    public static ReadOnlySpan<byte> Destination(ReadOnlySpan<byte> packet)
    {
        if (packet.Length >= IPv4HeaderMin && packet[0] >> 4 == 4) return packet.Slice(16, 4);
        if (packet.Length >= IPv6HeaderSize && packet[0] >> 4 == 6) return packet.Slice(24, 16);
        return default;
    }

    /// <summary>
    /// Checks a decrypted inner packet and returns its real length (without padding) and its
    /// source address; false if it is not a well-formed IPv4/IPv6 packet within the plaintext.
    /// </summary>
    public static bool TryParseInbound(ReadOnlySpan<byte> plaintext, out int length, out ReadOnlySpan<byte> source)
    {
        length = 0;
        source = default;
        if (plaintext.Length >= IPv4HeaderMin && plaintext[0] >> 4 == 4)
        {
            length = (plaintext[2] << 8) | plaintext[3];
            if (length < IPv4HeaderMin || length > plaintext.Length) return false;
            source = plaintext.Slice(12, 4);
            return true;
        }
        if (plaintext.Length >= IPv6HeaderSize && plaintext[0] >> 4 == 6)
        {
            length = ((plaintext[4] << 8) | plaintext[5]) + IPv6HeaderSize;
            if (length > plaintext.Length) return false;
            source = plaintext.Slice(8, 16);
            return true;
        }
        return false;
    }
}
