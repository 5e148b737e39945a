using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class XChaChaPolyTests
{
    // draft-irtf-cfrg-xchacha-03 appendix A.3.1.
    private const string Plaintext = ChaChaPolyTests.Rfc8439Sec2_8_2.Plaintext;
    private const string Aad = "50515253c0c1c2c3c4c5c6c7";
    private const string Key = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
    private const string Nonce = "404142434445464748494a4b4c4d4e4f5051525354555657";
    private const string Ciphertext =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e" +
        "1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e";
    private const string Tag = "c0875924c1c7987947deafd8780acf49";

    [Fact]
    public void DraftA3_1_Seal()
    {
        var pt = Hex(Plaintext);
        var box = new byte[pt.Length + XChaChaPoly.TagSize];
        XChaChaPoly.Seal(Hex(Key), Hex(Nonce), pt, Hex(Aad), box);
        Assert.Equal(Ciphertext + Tag, ToHex(box));
    }

    [Fact]
    public void DraftA3_1_Open()
    {
        var box = Hex(Ciphertext + Tag);
        var pt = new byte[box.Length - XChaChaPoly.TagSize];
        Assert.True(XChaChaPoly.Open(Hex(Key), Hex(Nonce), box, Hex(Aad), pt));
        Assert.Equal(Plaintext, ToHex(pt));
    }

    [Fact]
    public void CookieSizedRoundTripAndEveryFlippedBitFails()
    {
        // Cookie reply shape: 16-byte cookie, 24-byte nonce, mac1 (16 bytes) as associated data.
        var key = Pattern(32, 0x33);
        var nonce = Pattern(24, 0xA0);
        var cookie = Pattern(16, 0x01);
        var mac1 = Pattern(16, 0xC0);
        var box = new byte[32];
        XChaChaPoly.Seal(key, nonce, cookie, mac1, box);
        var back = new byte[16];
        Assert.True(XChaChaPoly.Open(key, nonce, box, mac1, back));
        Assert.Equal(cookie, back);

        for (int bit = 0; bit < box.Length * 8; bit++)
        {
            box[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(XChaChaPoly.Open(key, nonce, box, mac1, back), $"box bit {bit}");
            box[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        for (int bit = 0; bit < nonce.Length * 8; bit++)
        {
            nonce[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(XChaChaPoly.Open(key, nonce, box, mac1, back), $"nonce bit {bit}");
            nonce[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        mac1[0] ^= 1;
        Assert.False(XChaChaPoly.Open(key, nonce, box, mac1, back));
    }

    [Fact]
    public void ShortInputRejectedAndBadSizesThrow()
    {
        Assert.False(XChaChaPoly.Open(new byte[32], new byte[24], new byte[15], default, new byte[16]));
        Assert.Throws<ArgumentException>(() => XChaChaPoly.Seal(new byte[32], new byte[12], new byte[1], default, new byte[17]));
        Assert.Throws<ArgumentException>(() => XChaChaPoly.Open(new byte[31], new byte[24], new byte[17], default, new byte[1]));
    }
}
