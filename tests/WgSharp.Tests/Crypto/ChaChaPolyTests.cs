using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class ChaChaPolyTests
{
    // RFC 8439 section 2.8.2 ("Ladies and Gentlemen of the class of '99 ...").
    internal static class Rfc8439Sec2_8_2
    {
        public const string Plaintext =
            "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f" +
            "6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e";
        public const string Aad = "50515253c0c1c2c3c4c5c6c7";
        public const string Key = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
        public const string Nonce = "070000004041424344454647";
        public const string Ciphertext =
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b29" +
            "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
        public const string Tag = "1ae10b594f09e26a7e902ecbd0600691";
    }

    // RFC 8439 appendix A.5 (decryption example; its nonce happens to start with 4 zero bytes).
    internal static class Rfc8439AppA5
    {
        public const string Key = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
        public const string Nonce = "000000000102030405060708";
        public const string Aad = "f33388860000000000004e91";
        public const string Ciphertext =
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b01" +
            "00d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b35" +
            "06383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f8" +
            "3fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a67276" +
            "27097a1049e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b";
        public const string Tag = "eead9d67890cbb22392336fea1851f38";
        public const string PlaintextStart = "Internet-Drafts are draft documents valid for a maximum of six months";
        public const string PlaintextEnd = "/\u201cwork in progress./\u201d"; // sic, as in the RFC
    }

    public static TheoryData<string> Backends => ChaChaPolyBackendTests.Backends;

    [Theory]
    [MemberData(nameof(Backends))]
    public void Rfc8439_2_8_2_Seal(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        var pt = Hex(Rfc8439Sec2_8_2.Plaintext);
        var sealedBox = new byte[pt.Length + ChaChaPoly.TagSize];
        ChaChaPolyBackendTests.Seal(backend, Hex(Rfc8439Sec2_8_2.Key), Hex(Rfc8439Sec2_8_2.Nonce), pt, Hex(Rfc8439Sec2_8_2.Aad), sealedBox);
        Assert.Equal(Rfc8439Sec2_8_2.Ciphertext + Rfc8439Sec2_8_2.Tag, ToHex(sealedBox));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Rfc8439_2_8_2_Open(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        var box = Hex(Rfc8439Sec2_8_2.Ciphertext + Rfc8439Sec2_8_2.Tag);
        var pt = new byte[box.Length - ChaChaPoly.TagSize];
        Assert.True(ChaChaPolyBackendTests.Open(backend, Hex(Rfc8439Sec2_8_2.Key), Hex(Rfc8439Sec2_8_2.Nonce), box, Hex(Rfc8439Sec2_8_2.Aad), pt));
        Assert.Equal(Rfc8439Sec2_8_2.Plaintext, ToHex(pt));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Rfc8439_A5_OpenAndReseal(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        var box = Hex(Rfc8439AppA5.Ciphertext + Rfc8439AppA5.Tag);
        var pt = new byte[box.Length - ChaChaPoly.TagSize];
        Assert.True(ChaChaPolyBackendTests.Open(backend, Hex(Rfc8439AppA5.Key), Hex(Rfc8439AppA5.Nonce), box, Hex(Rfc8439AppA5.Aad), pt));
        var text = System.Text.Encoding.UTF8.GetString(pt);
        Assert.StartsWith(Rfc8439AppA5.PlaintextStart, text);
        Assert.EndsWith(Rfc8439AppA5.PlaintextEnd, text);
        Assert.Equal(265, pt.Length);

        var again = new byte[box.Length];
        ChaChaPolyBackendTests.Seal(backend, Hex(Rfc8439AppA5.Key), Hex(Rfc8439AppA5.Nonce), pt, Hex(Rfc8439AppA5.Aad), again);
        Assert.Equal(box, again);
    }

    // A.5's nonce is 00000000 || 01 02 .. 08, i.e. WireGuard's layout with the little-endian
    // counter 0x0807060504030201: the public counter API must reproduce the RFC bytes exactly.
    [Fact]
    public void Rfc8439_A5_ThroughCounterApi()
    {
        const ulong counter = 0x0807060504030201UL;
        var box = Hex(Rfc8439AppA5.Ciphertext + Rfc8439AppA5.Tag);
        var pt = new byte[box.Length - ChaChaPoly.TagSize];
        Assert.True(ChaChaPoly.Open(Hex(Rfc8439AppA5.Key), counter, box, Hex(Rfc8439AppA5.Aad), pt));

        var again = new byte[box.Length];
        ChaChaPoly.Seal(Hex(Rfc8439AppA5.Key), counter, pt, Hex(Rfc8439AppA5.Aad), again);
        Assert.Equal(box, again);

        Assert.False(ChaChaPoly.Open(Hex(Rfc8439AppA5.Key), counter + 1, box, Hex(Rfc8439AppA5.Aad), pt));
    }

    [Fact]
    public void CounterNonceLayoutIsFourZeroBytesThenLittleEndianCounter()
    {
        var key = Pattern(32, 0x20);
        var pt = Pattern(100);
        var viaCounter = new byte[116];
        var viaNonce = new byte[116];
        ChaChaPoly.Seal(key, 0x1122334455667788UL, pt, default, viaCounter);
        ChaChaPoly.SealWithNonce(key, Hex("00000000 8877665544332211"), pt, default, viaNonce);
        Assert.Equal(viaNonce, viaCounter);
    }

    [Fact]
    public void EveryFlippedBitFailsOpen()
    {
        var key = Pattern(32, 0x55);
        var ad = Pattern(32, 0x99); // a handshake hash in real use
        var pt = Pattern(48, 0x01);
        var box = new byte[pt.Length + ChaChaPoly.TagSize];
        ChaChaPoly.Seal(key, 7, pt, ad, box);
        var output = new byte[pt.Length];
        Assert.True(ChaChaPoly.Open(key, 7, box, ad, output));
        Assert.Equal(pt, output);

        for (int bit = 0; bit < box.Length * 8; bit++)
        {
            box[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(ChaChaPoly.Open(key, 7, box, ad, output), $"ciphertext bit {bit}");
            box[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        for (int bit = 0; bit < ad.Length * 8; bit++)
        {
            ad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(ChaChaPoly.Open(key, 7, box, ad, output), $"associated data bit {bit}");
            ad[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        for (int bit = 0; bit < key.Length * 8; bit++)
        {
            key[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(ChaChaPoly.Open(key, 7, box, ad, output), $"key bit {bit}");
            key[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        for (int bit = 0; bit < 64; bit++)
            Assert.False(ChaChaPoly.Open(key, 7UL ^ (1UL << bit), box, ad, output), $"counter bit {bit}");
        Assert.True(ChaChaPoly.Open(key, 7, box, ad, output));
    }

    [Fact]
    public void EmptyPlaintextIsJustATag()
    {
        var key = Pattern(32);
        var box = new byte[ChaChaPoly.TagSize];
        ChaChaPoly.Seal(key, 0, ReadOnlySpan<byte>.Empty, Pattern(32, 9), box);
        Assert.True(ChaChaPoly.Open(key, 0, box, Pattern(32, 9), Span<byte>.Empty));
        Assert.False(ChaChaPoly.Open(key, 0, box, Pattern(32, 10), Span<byte>.Empty));
        box[3] ^= 0x80;
        Assert.False(ChaChaPoly.Open(key, 0, box, Pattern(32, 9), Span<byte>.Empty));
    }

    [Fact]
    public void ShortInputIsRejectedNotThrown()
    {
        var key = Pattern(32);
        for (int n = 0; n < ChaChaPoly.TagSize; n++)
            Assert.False(ChaChaPoly.Open(key, 0, new byte[n], default, new byte[16]));
    }

    [Fact]
    public void BadSizesThrow()
    {
        Assert.Throws<ArgumentException>(() => ChaChaPoly.Seal(new byte[31], 0, new byte[4], default, new byte[20]));
        Assert.Throws<ArgumentException>(() => ChaChaPoly.Seal(new byte[32], 0, new byte[4], default, new byte[19]));
        Assert.Throws<ArgumentException>(() => ChaChaPoly.Open(new byte[32], 0, new byte[20], default, new byte[3]));
        Assert.Throws<ArgumentException>(() => ChaChaPoly.SealWithNonce(new byte[32], new byte[8], new byte[4], default, new byte[20]));
    }
}
