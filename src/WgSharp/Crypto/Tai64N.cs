using System.Buffers.Binary;

namespace WgSharp.Crypto;

/// <summary>
/// TAI64N timestamps (12 bytes, big-endian: 2^62 + seconds, then nanoseconds) as carried in
/// handshake initiations. Big-endian makes a byte-wise comparison equal a time comparison.
/// </summary>
internal static class Tai64N
{
    public const int Size = 12;
    private const ulong Base = 0x400000000000000aUL; // 2^62 + 10 leap-second offset, as wireguard-go and Linux use

    /// <summary>
    /// Encodes a UTC instant. Nanoseconds are rounded down to a power-of-two granularity
    /// (about 16 ms) so a timestamp does not leak a precise clock, as the reference implementations do.
    /// </summary>
    public static void Write(Span<byte> destination, DateTimeOffset utc)
    {
        long unixSeconds = utc.ToUnixTimeSeconds();
        long ticksInSecond = utc.UtcTicks % TimeSpan.TicksPerSecond;
        uint nanos = (uint)(ticksInSecond * 100);
        nanos &= ~0xFFFFFFu; // whitening: drop the low 24 bits (~16.7 ms)
        BinaryPrimitives.WriteUInt64BigEndian(destination, Base + (ulong)unixSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], nanos);
    }

    /// <summary>True when a is strictly after b (both 12-byte TAI64N values).</summary>
    public static bool IsAfter(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        a[..Size].SequenceCompareTo(b[..Size]) > 0;
}
