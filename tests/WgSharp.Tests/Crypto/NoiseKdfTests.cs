using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

/// <summary>HMAC-BLAKE2s and KDF1/2/3 against Python's hmac module (see generate_vectors.py).</summary>
public class NoiseKdfTests
{
    public static TheoryData<int> HmacCases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < NoiseKdfVectors.Hmac.Length; i++) d.Add(i);
        return d;
    }

    public static TheoryData<int> KdfCases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < NoiseKdfVectors.Kdf.Length; i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(HmacCases))]
    public void HmacMatchesPython(int index)
    {
        var (keyLength, messageLength, mac) = NoiseKdfVectors.Hmac[index];
        var output = new byte[32];
        NoiseKdf.Hmac(output, Pattern(keyLength, 0x40), Pattern(messageLength, 0x00));
        Assert.Equal(mac, ToHex(output));
    }

    [Theory]
    [MemberData(nameof(KdfCases))]
    public void Kdf3MatchesPython(int index)
    {
        var (inputLength, o1, o2, o3) = NoiseKdfVectors.Kdf[index];
        var ck = Pattern(32, 0x80);
        var input = Pattern(inputLength, 0x10);
        byte[] a = new byte[32], b = new byte[32], c = new byte[32];
        NoiseKdf.Derive(ck, input, a, b, c);
        Assert.Equal(o1, ToHex(a));
        Assert.Equal(o2, ToHex(b));
        Assert.Equal(o3, ToHex(c));
    }

    [Theory]
    [MemberData(nameof(KdfCases))]
    public void Kdf1AndKdf2ArePrefixesOfKdf3(int index)
    {
        var (inputLength, o1, o2, _) = NoiseKdfVectors.Kdf[index];
        var ck = Pattern(32, 0x80);
        var input = Pattern(inputLength, 0x10);
        byte[] a = new byte[32], b = new byte[32];
        NoiseKdf.Derive(ck, input, a);
        Assert.Equal(o1, ToHex(a));
        Array.Clear(a);
        NoiseKdf.Derive(ck, input, a, b);
        Assert.Equal(o1, ToHex(a));
        Assert.Equal(o2, ToHex(b));
    }

    // The Noise definition written out with our own Hmac, so Derive's chaining is checked separately
    // from Hmac itself: temp = HMAC(ck, in); o1 = HMAC(temp, 1); o2 = HMAC(temp, o1||2); o3 = HMAC(temp, o2||3).
    [Fact]
    public void DeriveFollowsTheNoiseDefinition()
    {
        var ck = TestBytes.Random(32, 1);
        var input = TestBytes.Random(32, 2);
        var temp = new byte[32];
        NoiseKdf.Hmac(temp, ck, input);
        byte[] e1 = new byte[32], e2 = new byte[32], e3 = new byte[32];
        NoiseKdf.Hmac(e1, temp, [0x01]);
        NoiseKdf.Hmac(e2, temp, [.. e1, 0x02]);
        NoiseKdf.Hmac(e3, temp, [.. e2, 0x03]);

        byte[] a = new byte[32], b = new byte[32], c = new byte[32];
        NoiseKdf.Derive(ck, input, a, b, c);
        Assert.Equal(e1, a);
        Assert.Equal(e2, b);
        Assert.Equal(e3, c);
    }

    // The handshake writes the new chaining key over the old one: ck = KDF2(ck, dh).out1.
    [Fact]
    public void OutputMayAliasTheChainingKey()
    {
        var ck = Pattern(32, 0x80);
        var input = Pattern(32, 0x10);
        byte[] expected1 = new byte[32], expected2 = new byte[32];
        NoiseKdf.Derive(ck, input, expected1, expected2);

        var key = new byte[32];
        NoiseKdf.Derive(ck, input, ck, key);
        Assert.Equal(expected1, ck);
        Assert.Equal(expected2, key);
    }

    [Fact]
    public void HmacOutputMayAliasKeyOrData()
    {
        var key = Pattern(32, 1);
        var data = Pattern(32, 2);
        var expected = new byte[32];
        NoiseKdf.Hmac(expected, key, data);

        var k = (byte[])key.Clone();
        NoiseKdf.Hmac(k, k, data);
        Assert.Equal(expected, k);
        var d = (byte[])data.Clone();
        NoiseKdf.Hmac(d, key, d);
        Assert.Equal(expected, d);
    }

    [Fact]
    public void ShortOutputThrows()
    {
        Assert.Throws<ArgumentException>(() => NoiseKdf.Hmac(new byte[31], new byte[32], new byte[1]));
    }
}
