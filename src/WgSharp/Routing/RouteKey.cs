using System.Buffers.Binary;
using System.Net;
using WgSharp.Configuration;

namespace WgSharp.Routing;

/// <summary>
/// A prefix as a 128-bit big-endian number (IPv4 occupies the top 32 bits of <see cref="Hi"/>)
/// with host bits cleared. Compact (no <see cref="IPAddress"/> object) because one is kept per
/// allowed IP for every peer.
/// </summary>
internal readonly record struct RouteKey(ulong Hi, ulong Lo, byte Bits, bool IsIPv6)
{
    public static RouteKey FromPrefix(IpPrefix prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix.Address);
        Span<byte> bytes = stackalloc byte[16];
        if (!prefix.Address.TryWriteBytes(bytes, out int length) || (length != 4 && length != 16))
            throw new ArgumentException($"unsupported address {prefix.Address}", nameof(prefix));
        int maxBits = length * 8;
        if (prefix.Bits < 0 || prefix.Bits > maxBits)
            throw new ArgumentOutOfRangeException(nameof(prefix), $"prefix length {prefix.Bits} out of range 0..{maxBits}");
        ulong hi, lo;
        if (length == 4) { hi = (ulong)BinaryPrimitives.ReadUInt32BigEndian(bytes) << 32; lo = 0; }
        else { hi = BinaryPrimitives.ReadUInt64BigEndian(bytes); lo = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]); }
        (hi, lo) = MaskToBits(hi, lo, prefix.Bits);
        return new RouteKey(hi, lo, (byte)prefix.Bits, length == 16);
    }

    public override int GetHashCode() => HashCode.Combine(Hi, Lo, Bits, IsIPv6);

    public IpPrefix ToPrefix()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, Hi);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Lo);
            return new IpPrefix(new IPAddress(bytes), Bits);
        }
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(Hi >> 32));
        return new IpPrefix(new IPAddress(bytes[..4]), Bits);
    }

    /// <summary>Keeps the leading <paramref name="bits"/> bits of the 128-bit number hi:lo.</summary>
    public static (ulong Hi, ulong Lo) MaskToBits(ulong hi, ulong lo, int bits)
    {
        if (bits <= 0) return (0, 0);
        if (bits < 64) return (hi & (~0UL << (64 - bits)), 0);
        if (bits == 64) return (hi, 0);
        if (bits < 128) return (hi, lo & (~0UL << (128 - bits)));
        return (hi, lo);
    }
}
