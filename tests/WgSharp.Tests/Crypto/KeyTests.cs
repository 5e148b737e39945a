using WgSharp.Keys;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class KeyTests
{
    [Fact]
    public void Base64RoundTrip()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var key = new Key(TestBytes.Random(32, seed));
            var text = key.ToBase64();
            Assert.Equal(44, text.Length);
            Assert.True(Key.TryParseBase64(text, out var back, out var error), error);
            Assert.Equal(key, back);
            Assert.Equal(key, Key.ParseBase64(text));
        }
    }

    [Fact]
    public void KnownBase64()
    {
        // RFC 7748 6.1 Alice's public key, base64 as `wg pubkey` prints it.
        var key = Key.ParseBase64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", key.ToHex());
        Assert.Equal(new string('A', 43) + "=", Key.Zero.ToBase64());
        Assert.True(Key.Zero.IsZero);
        Assert.False(key.IsZero);
    }

    public static TheoryData<string?> BadBase64 => new()
    {
        null,
        "",
        new string('A', 43),                                   // 43 characters, no pad
        new string('A', 43) + "==",                            // 45 characters
        new string('A', 44),                                   // 44 characters, no pad: 33 bytes
        Convert.ToBase64String(new byte[31]),                  // 31 bytes, 44 chars
        Convert.ToBase64String(new byte[32]) + "A",            // 45 characters, valid prefix
        new string('A', 42) + "!=",                            // not base64
        new string('A', 20) + " " + new string('A', 22) + "=", // whitespace inside
        "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo-",          // url-safe alphabet / no pad
        "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=",          // url-safe alphabet
        new string('A', 42) + "B=",                            // non-canonical: padding bits set
    };

    [Theory]
    [MemberData(nameof(BadBase64))]
    public void Base64RejectedWithMessage(string? text)
    {
        Assert.False(Key.TryParseBase64(text, out var key, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.True(key.IsZero);
        if (text is not null)
            Assert.Throws<FormatException>(() => Key.ParseBase64(text));
    }

    [Fact]
    public void HexRoundTripAndCase()
    {
        var key = new Key(Pattern(32, 0xA0));
        var hex = key.ToHex();
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", hex);
        Assert.True(Key.TryParseHex(hex, out var back));
        Assert.Equal(key, back);
        Assert.True(Key.TryParseHex(hex.ToUpperInvariant(), out back));
        Assert.Equal(key, back);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbeb")]   // 63
    [InlineData("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf0")] // 65
    [InlineData("g0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")]  // bad digit first
    [InlineData("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebz")]  // bad digit last
    [InlineData("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe f")]  // space
    [InlineData("0xa1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")]  // prefix
    public void BadHexRejected(string? text)
    {
        Assert.False(Key.TryParseHex(text, out var key));
        Assert.True(key.IsZero);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void WrongByteLengthThrowsWithMessage(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Key(new byte[length]));
        Assert.Contains(length.ToString(), ex.Message);
    }

    [Fact]
    public void EqualityAndNoLeakInToString()
    {
        var a = new Key(Pattern(32, 1));
        var b = new Key(Pattern(32, 1));
        var c = new Key(Pattern(32, 2));
        Assert.True(a == b);
        Assert.True(a.ConstantTimeEquals(b));
        Assert.False(a.ConstantTimeEquals(c));
        Assert.True(a != c);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.DoesNotContain(a.ToBase64(), a.ToString());
        Assert.DoesNotContain(a.ToHex(), a.ToString());
    }
}
