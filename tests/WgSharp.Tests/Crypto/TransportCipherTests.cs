using System.Buffers.Binary;
using System.Security.Cryptography;
using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

/// <summary>
/// TransportCipher must produce exactly the bytes of an independent ChaCha20-Poly1305 (the BCL's,
/// i.e. OpenSSL) and of ChaChaPoly for WireGuard's nonce layout and empty associated data, or two
/// peers would not interoperate.
/// </summary>
public class TransportCipherTests
{
    public static TheoryData<int, ulong> Sizes => new()
    {
        { 0, 0 }, { 1, 1 }, { 16, 2 }, { 63, 3 }, { 64, 0xFFFFFFFFUL }, { 65, 0x100000000UL },
        { 576, 12345 }, { 1420, ulong.MaxValue - 1 }, { 1440, 0x0102030405060708UL }, { 65519, 42 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RoundTripAndAgreesWithBclAndChaChaPoly(int size, ulong counter)
    {
        var key = TestBytes.Random(32, size);
        var pt = TestBytes.Random(size, size + 1);
        using var cipher = new TransportCipher(key);
        var box = new byte[size + ChaChaPoly.TagSize];
        cipher.Seal(counter, pt, box);

        // The BCL's ChaCha20Poly1305 (OpenSSL) with the nonce built here by hand: 4 zero bytes, LE64 counter.
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce.AsSpan(4), counter);
        var boxBcl = new byte[size + ChaChaPoly.TagSize];
        using (var bcl = new ChaCha20Poly1305(key))
            bcl.Encrypt(nonce, pt, boxBcl.AsSpan(0, size), boxBcl.AsSpan(size));
        Assert.Equal(boxBcl, box);

        var boxSodium = new byte[size + ChaChaPoly.TagSize];
        ChaChaPoly.Seal(key, counter, pt, ReadOnlySpan<byte>.Empty, boxSodium);
        Assert.Equal(boxSodium, box);

        var back = new byte[size];
        Assert.True(cipher.Open(counter, boxBcl, back));
        Assert.Equal(pt, back);
        Array.Clear(back);
        using (var bcl = new ChaCha20Poly1305(key))
            bcl.Decrypt(nonce, box.AsSpan(0, size), box.AsSpan(size), back);
        Assert.Equal(pt, back);
    }

    [Fact]
    public void OneInstanceIsSafeFromManyThreads()
    {
        using var cipher = new TransportCipher(Pattern(32, 0x11));
        Parallel.For(0, 8, worker =>
        {
            var pt = TestBytes.Random(1420, worker);
            var box = new byte[1436];
            var back = new byte[1420];
            for (ulong n = 0; n < 500; n++)
            {
                ulong counter = ((ulong)worker << 32) | n;
                cipher.Seal(counter, pt, box);
                Assert.True(cipher.Open(counter, box, back));
                Assert.Equal(pt, back);
            }
        });
    }

    [Fact]
    public void DisposedCipherRefusesWork()
    {
        var cipher = new TransportCipher(Pattern(32));
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.Seal(0, new byte[1], new byte[17]));
        Assert.Throws<ObjectDisposedException>(() => cipher.Open(0, new byte[17], new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => cipher.Clone());
    }

    [Fact]
    public void MatchesRfc8439KeystreamWhenNonceFitsWireGuardLayout()
    {
        // RFC 8439 A.5 with its associated data removed cannot be checked against the RFC, so check
        // instead that the BCL path equals the libsodium raw-nonce path proven on the RFC vectors.
        var key = Hex(ChaChaPolyTests.Rfc8439AppA5.Key);
        var pt = Pattern(265, 3);
        var expected = new byte[pt.Length + 16];
        ChaChaPoly.SealWithNonce(key, Hex(ChaChaPolyTests.Rfc8439AppA5.Nonce), pt, default, expected);
        using var cipher = new TransportCipher(key);
        var actual = new byte[pt.Length + 16];
        cipher.Seal(0x0807060504030201UL, pt, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EveryFlippedBitFailsOpen()
    {
        var key = Pattern(32, 0x70);
        using var cipher = new TransportCipher(key);
        var pt = Pattern(64, 0x10);
        var box = new byte[pt.Length + 16];
        cipher.Seal(99, pt, box);
        var output = new byte[pt.Length];
        for (int bit = 0; bit < box.Length * 8; bit++)
        {
            box[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(cipher.Open(99, box, output), $"bit {bit}");
            box[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        Assert.False(cipher.Open(98, box, output));
        Assert.False(cipher.Open(100, box, output));
        Assert.True(cipher.Open(99, box, output));
        Assert.Equal(pt, output);
    }

    [Fact]
    public void ShortInputIsRejectedNotThrown()
    {
        using var cipher = new TransportCipher(Pattern(32));
        for (int n = 0; n < 16; n++)
            Assert.False(cipher.Open(0, new byte[n], new byte[16]));
    }

    [Fact]
    public void CloneUsesTheSameKey()
    {
        using var a = new TransportCipher(Pattern(32, 1));
        using var b = a.Clone();
        var box = new byte[16 + 10];
        a.Seal(5, Pattern(10), box);
        var back = new byte[10];
        Assert.True(b.Open(5, box, back));
        Assert.Equal(Pattern(10), back);
    }

    [Fact]
    public void WrongKeySizeThrows()
    {
        Assert.Throws<ArgumentException>(() => new TransportCipher(new byte[16]));
    }
}
