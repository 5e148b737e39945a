using System.Buffers.Binary;
using System.Security.Cryptography;
using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

/// <summary>
/// Both ChaCha20-Poly1305 backends (OpenSSL called directly, libsodium) must produce exactly the bytes
/// of an independent implementation (the BCL's ChaCha20Poly1305) for WireGuard's nonce layout, or two
/// peers on different backends would not interoperate. The RFC vectors run on both in ChaChaPolyTests.
/// </summary>
public class ChaChaPolyBackendTests
{
    // Names, not the enum: AeadBackend is internal and a test method is public.
    public static TheoryData<string> Backends => new() { nameof(AeadBackend.OpenSsl), nameof(AeadBackend.Libsodium) };

    internal static void Seal(AeadBackend backend, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> ad, Span<byte> destination)
    {
        if (backend == AeadBackend.OpenSsl) OpenSslChaChaPoly.Seal(key, nonce, plaintext, ad, destination);
        else SodiumChaChaPoly.Seal(key, nonce, plaintext, ad, destination);
    }

    internal static bool Open(AeadBackend backend, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> box,
        ReadOnlySpan<byte> ad, Span<byte> destination) =>
        backend == AeadBackend.OpenSsl
            ? OpenSslChaChaPoly.Open(key, nonce, box, ad, destination)
            : SodiumChaChaPoly.Open(key, nonce, box, ad, destination);

    private static byte[] Nonce(ulong counter)
    {
        var nonce = new byte[ChaChaPoly.NonceSize];
        ChaChaPoly.WriteNonce(nonce, counter);
        return nonce;
    }

    [Fact]
    public void OpenSslIsAvailableAndChosenOnThisMachine()
    {
        // Debian's libssl3 is a dependency of .NET itself; losing it silently would halve our speed.
        Assert.True(OpenSslChaChaPoly.IsAvailable);
        Assert.Equal(AeadBackend.OpenSsl, ChaChaPoly.Backend);
    }

    public static TheoryData<int, ulong, int> Sizes => new()
    {
        { 0, 0, 0 }, { 1, 1, 0 }, { 16, 2, 32 }, { 63, 3, 0 }, { 64, 0xFFFFFFFFUL, 32 }, { 65, 0x100000000UL, 0 },
        { 576, 12345, 0 }, { 1420, ulong.MaxValue - 1, 0 }, { 1440, 0x0102030405060708UL, 32 }, { 65519, 42, 0 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BothBackendsEqualTheBclByteForByte(int size, ulong counter, int adLength)
    {
        var key = TestBytes.Random(32, size);
        var pt = TestBytes.Random(size, size + 1);
        var ad = TestBytes.Random(adLength, size + 2);
        var nonce = Nonce(counter);
        var expected = new byte[size + ChaChaPoly.TagSize];
        using (var bcl = new ChaCha20Poly1305(key))
            bcl.Encrypt(nonce, pt, expected.AsSpan(0, size), expected.AsSpan(size), ad);

        foreach (var backend in new[] { AeadBackend.OpenSsl, AeadBackend.Libsodium })
        {
            var box = new byte[size + ChaChaPoly.TagSize];
            Seal(backend, key, nonce, pt, ad, box);
            Assert.Equal(expected, box);
            var back = new byte[size];
            Assert.True(Open(backend, key, nonce, expected, ad, back), backend.ToString());
            Assert.Equal(pt, back);
        }
        var viaFacade = new byte[size + ChaChaPoly.TagSize];
        ChaChaPoly.Seal(key, counter, pt, ad, viaFacade);
        Assert.Equal(expected, viaFacade);
    }

    [Fact]
    public void WithinABatchScopeKeysAndNoncesThatChangeFromCallToCallStillGiveTheBclsBytes()
    {
        // The scope keeps a key loaded between calls and loads only the nonce when the key is the same: a stale
        // key, a stale nonce or Poly1305 state carried over would show as different bytes or a refused tag.
        var keys = new[] { TestBytes.Random(32, 1), TestBytes.Random(32, 2) };
        var pt = TestBytes.Random(1420, 3);
        using var scope = OpenSslChaChaPoly.KeepKeysForBatch();
        for (int i = 0; i < 12; i++)
        {
            var key = keys[i % 3 == 2 ? 1 : 0]; // key A twice, then key B: loads, reuses and reloads
            var nonce = Nonce((ulong)i);
            var expected = new byte[pt.Length + ChaChaPoly.TagSize];
            using (var bcl = new ChaCha20Poly1305(key))
                bcl.Encrypt(nonce, pt, expected.AsSpan(0, pt.Length), expected.AsSpan(pt.Length));
            var box = new byte[expected.Length];
            OpenSslChaChaPoly.Seal(key, nonce, pt, default, box);
            Assert.Equal(expected, box);
            var back = new byte[pt.Length];
            Assert.True(OpenSslChaChaPoly.Open(key, nonce, box, default, back));
            Assert.Equal(pt, back);
            box[^1] ^= 1;
            Assert.False(OpenSslChaChaPoly.Open(key, nonce, box, default, back));
            var otherKey = ReferenceEquals(key, keys[0]) ? keys[1] : keys[0];
            Assert.False(OpenSslChaChaPoly.Open(otherKey, nonce, expected, default, back)); // the loaded key is not reused for another
        }
    }

    [Fact]
    public void NoSessionKeyStaysInTheThreadsContextsAfterACallOrAfterABatchScope()
    {
        var key = TestBytes.Random(32, 7);
        var pt = TestBytes.Random(600, 8);
        var box = new byte[pt.Length + ChaChaPoly.TagSize];
        OpenSslChaChaPoly.Seal(key, Nonce(1), pt, default, box);
        Assert.False(OpenSslChaChaPoly.ThreadHoldsAKey);
        Assert.True(OpenSslChaChaPoly.Open(key, Nonce(1), box, default, new byte[pt.Length]));
        Assert.False(OpenSslChaChaPoly.ThreadHoldsAKey);

        var scope = OpenSslChaChaPoly.KeepKeysForBatch();
        var inner = OpenSslChaChaPoly.KeepKeysForBatch(); // nested: only the outermost end scrubs
        OpenSslChaChaPoly.Seal(key, Nonce(2), pt, default, box);
        Assert.True(OpenSslChaChaPoly.ThreadHoldsAKey);
        inner.Dispose();
        Assert.True(OpenSslChaChaPoly.ThreadHoldsAKey);
        scope.Dispose();
        Assert.False(OpenSslChaChaPoly.ThreadHoldsAKey);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void InPlaceSealAndOpenAsTheTransportPathDoes(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        var key = Pattern(32, 0x42);
        var pt = TestBytes.Random(1420, 5);
        var nonce = Nonce(77);
        var buffer = new byte[1420 + ChaChaPoly.TagSize];
        pt.CopyTo(buffer, 0);
        Seal(backend, key, nonce, buffer.AsSpan(0, 1420), default, buffer);
        var expected = new byte[buffer.Length];
        SodiumChaChaPoly.Seal(key, nonce, pt, default, expected);
        Assert.Equal(expected, buffer);
        Assert.True(Open(backend, key, nonce, buffer, default, buffer.AsSpan(0, 1420)));
        Assert.Equal(pt, buffer[..1420]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ManyThreadsAtOnceGetTheirOwnResults(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        Parallel.For(0, 8, worker =>
        {
            var key = TestBytes.Random(32, 100 + worker); // a different key per thread: contexts must not leak keys across threads
            var pt = TestBytes.Random(1420, worker);
            var box = new byte[1436];
            var back = new byte[1420];
            var reference = new byte[1436];
            for (ulong n = 0; n < 300; n++)
            {
                var nonce = Nonce(((ulong)worker << 32) | n);
                Seal(backend, key, nonce, pt, default, box);
                SodiumChaChaPoly.Seal(key, nonce, pt, default, reference);
                Assert.Equal(reference, box);
                Assert.True(Open(backend, key, nonce, box, default, back));
                Assert.Equal(pt, back);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void EveryFlippedBitAndWrongCounterFailsOpen(string backendName)
    {
        var backend = Enum.Parse<AeadBackend>(backendName);
        var key = Pattern(32, 0x70);
        var pt = Pattern(64, 0x10);
        var box = new byte[pt.Length + 16];
        Seal(backend, key, Nonce(99), pt, default, box);
        var output = new byte[pt.Length];
        for (int bit = 0; bit < box.Length * 8; bit++)
        {
            box[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Open(backend, key, Nonce(99), box, default, output), $"bit {bit}");
            box[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        Assert.False(Open(backend, key, Nonce(98), box, default, output));
        Assert.False(Open(backend, key, Nonce(100), box, default, output));
        Assert.True(Open(backend, key, Nonce(99), box, default, output));
        Assert.Equal(pt, output);
    }

    [Fact]
    public void CounterNonceIsLittleEndianAfterFourZeroBytes()
    {
        var nonce = Nonce(0x0102030405060708UL);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(nonce));
        Assert.Equal("000000000807060504030201", ToHex(nonce));
    }
}
