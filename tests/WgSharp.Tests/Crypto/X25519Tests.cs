using WgSharp.Crypto;
using WgSharp.Keys;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class X25519Tests
{
    // RFC 7748 section 5.2: scalar, input u-coordinate, output u-coordinate. The scalars are
    // unclamped and the second u has its top bit set: both must be handled as the RFC says.
    [Theory]
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void Rfc7748_Section5_2_ScalarMultiplication(string scalar, string u, string expected)
    {
        var shared = new byte[32];
        Assert.True(X25519.SharedSecret(Hex(scalar), Hex(u), shared));
        Assert.Equal(expected, ToHex(shared));
    }

    // RFC 7748 section 5.2, the iterated test: k = u = 9; repeat { (k, u) = (X25519(k, u), k) }.
    [Theory]
    [InlineData(1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    [InlineData(1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")]
    public void Rfc7748_Section5_2_Iterated(int iterations, string expected)
    {
        var k = new byte[32];
        var u = new byte[32];
        k[0] = 9;
        u[0] = 9;
        var r = new byte[32];
        for (int i = 0; i < iterations; i++)
        {
            Assert.True(X25519.SharedSecret(k, u, r));
            k.CopyTo(u, 0);
            r.CopyTo(k, 0);
        }
        Assert.Equal(expected, ToHex(k));
    }

    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string AliceBobShared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Fact]
    public void Rfc7748_Section6_1_PublicKeys()
    {
        var pub = new byte[32];
        X25519.DerivePublicKey(Hex(AlicePrivate), pub);
        Assert.Equal(AlicePublic, ToHex(pub));
        X25519.DerivePublicKey(Hex(BobPrivate), pub);
        Assert.Equal(BobPublic, ToHex(pub));

        // The same through the Key-level API the CLI uses (`wg pubkey`).
        Assert.Equal(AlicePublic, KeyGenerator.DerivePublicKey(new Key(Hex(AlicePrivate))).ToHex());
    }

    [Fact]
    public void Rfc7748_Section6_1_SharedSecretBothWays()
    {
        var s1 = new byte[32];
        var s2 = new byte[32];
        Assert.True(X25519.SharedSecret(Hex(AlicePrivate), Hex(BobPublic), s1));
        Assert.True(X25519.SharedSecret(Hex(BobPrivate), Hex(AlicePublic), s2));
        Assert.Equal(AliceBobShared, ToHex(s1));
        Assert.Equal(AliceBobShared, ToHex(s2));
    }

    [Fact]
    public void Clamp_SetsAndClearsTheRfcBits()
    {
        var k = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        X25519.Clamp(k);
        Assert.Equal(0xF8, k[0]);
        Assert.Equal(0x7F, k[31]);
        Assert.All(k[1..31], b => Assert.Equal(0xFF, b));

        var z = new byte[32];
        X25519.Clamp(z);
        Assert.Equal(0x00, z[0]);
        Assert.Equal(0x40, z[31]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void AnyRandom32BytesAreAUsablePrivateKey(int seed)
    {
        var raw = new Key(TestBytes.Random(32, seed));
        var clamped = KeyGenerator.ClampPrivateKey(raw);

        var c = clamped.AsSpan();
        Assert.Equal(0, c[0] & 7);
        Assert.Equal(0x40, c[31] & 0xC0);
        Assert.True(c[1..31].SequenceEqual(raw.AsSpan()[1..31]));
        Assert.Equal(clamped, KeyGenerator.ClampPrivateKey(clamped)); // idempotent

        // Deriving from the raw bytes equals deriving from the clamped key, and the input is left untouched.
        var rawCopy = raw.ToArray();
        Assert.Equal(KeyGenerator.DerivePublicKey(clamped), KeyGenerator.DerivePublicKey(raw));
        Assert.Equal(rawCopy, raw.ToArray());

        // Agreement with a second random key works both ways, clamped or not.
        var other = new Key(TestBytes.Random(32, seed + 100));
        var otherPub = KeyGenerator.DerivePublicKey(other);
        var myPub = KeyGenerator.DerivePublicKey(raw);
        var s1 = new byte[32];
        var s2 = new byte[32];
        var s3 = new byte[32];
        Assert.True(X25519.SharedSecret(raw.AsSpan(), otherPub.AsSpan(), s1));
        Assert.True(X25519.SharedSecret(clamped.AsSpan(), otherPub.AsSpan(), s2));
        Assert.True(X25519.SharedSecret(other.AsSpan(), myPub.AsSpan(), s3));
        Assert.Equal(s1, s2);
        Assert.Equal(s1, s3);
    }

    [Fact]
    public void GeneratedKeysAreClampedAndDistinct()
    {
        var a = KeyGenerator.GeneratePrivateKey();
        var b = KeyGenerator.GeneratePrivateKey();
        Assert.NotEqual(a, b);
        Assert.Equal(a, KeyGenerator.ClampPrivateKey(a));
        Assert.NotEqual(KeyGenerator.GeneratePresharedKey(), KeyGenerator.GeneratePresharedKey());
    }

    // Points of small order (and their non-canonical encodings): every clamped scalar maps them
    // to the all-zero point, which WireGuard must refuse (it would make the DH output public).
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")] // 0
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")] // 1
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")] // order 8
    [InlineData("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157")] // order 8
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // p - 1
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // p (= 0)
    [InlineData("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // p + 1 (= 1)
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880")] // order 8, top bit set
    [InlineData("0000000000000000000000000000000000000000000000000000000000000080")] // 0, top bit set
    public void LowOrderPublicKeyIsRefused(string publicKey)
    {
        var priv = KeyGenerator.GeneratePrivateKey();
        var shared = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        Assert.False(X25519.SharedSecret(priv.AsSpan(), Hex(publicKey), shared));
        Assert.All(shared, b => Assert.Equal(0, b)); // never leaves stale or partial output behind
    }

    [Fact]
    public void WrongLengthsThrow()
    {
        var ok = new byte[32];
        Assert.Throws<ArgumentException>(() => X25519.SharedSecret(new byte[31], ok, new byte[32]));
        Assert.Throws<ArgumentException>(() => X25519.SharedSecret(ok, new byte[33], new byte[32]));
        Assert.Throws<ArgumentException>(() => X25519.DerivePublicKey(new byte[16], new byte[32]));
        Assert.Throws<ArgumentException>(() => X25519.Clamp(new byte[31]));
    }
}
