using System.Buffers.Binary;
using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class Tai64NTests
{
    [Fact]
    public void KnownInstantEncodesByDefinition()
    {
        // 2020-01-02T03:04:05.6789012Z: unix 1577934245 = 0x5e0d5da5; label = 0x400000000000000a + that
        // = 0x400000005e0d5daf. Nanoseconds 678901200 = 0x287735d0, low 24 bits cleared -> 0x28000000.
        var instant = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(6789012);
        var ts = new byte[Tai64N.Size];
        Tai64N.Write(ts, instant);
        Assert.Equal("400000005e0d5daf" + "28000000", ToHex(ts));

        // The same from the definition, computed rather than written out.
        var expected = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(expected, 0x400000000000000aUL + 1577934245UL);
        BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(8), 678901200u & ~0xFFFFFFu);
        Assert.Equal(expected, ts);
    }

    [Fact]
    public void UnixEpochAndNonUtcOffset()
    {
        var ts = new byte[12];
        Tai64N.Write(ts, DateTimeOffset.UnixEpoch);
        Assert.Equal("400000000000000a00000000", ToHex(ts));

        // The same instant written with a +02:00 offset encodes identically.
        var utc = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var a = new byte[12];
        var b = new byte[12];
        Tai64N.Write(a, utc);
        Tai64N.Write(b, utc.ToOffset(TimeSpan.FromHours(2)));
        Assert.Equal(a, b);
    }

    [Fact]
    public void LaterInstantIsAfter()
    {
        var t0 = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var earlier = new byte[12];
        var later = new byte[12];
        Tai64N.Write(earlier, t0.AddMilliseconds(999)); // nanosecond field high
        Tai64N.Write(later, t0.AddSeconds(1));          // seconds field higher, nanos zero
        Assert.True(Tai64N.IsAfter(later, earlier));
        Assert.False(Tai64N.IsAfter(earlier, later));
        Assert.False(Tai64N.IsAfter(later, later));

        Tai64N.Write(earlier, t0.AddMilliseconds(100));
        Tai64N.Write(later, t0.AddMilliseconds(150));
        Assert.True(Tai64N.IsAfter(later, earlier));
    }

    [Fact]
    public void InstantsWithinOneWhitenedStepAreEqual()
    {
        // 2^24 ns ~ 16.8 ms: two initiations inside one step carry the same timestamp, so the
        // second is not "after" the first (this is what limits initiation floods).
        var t0 = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var a = new byte[12];
        var b = new byte[12];
        Tai64N.Write(a, t0.AddMilliseconds(1));
        Tai64N.Write(b, t0.AddMilliseconds(15));
        Assert.Equal(a, b);
        Assert.False(Tai64N.IsAfter(b, a));
    }
}
