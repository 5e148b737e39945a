using System.Text;
using WgSharp.Crypto;
using static WgSharp.Tests.Crypto.TestBytes;

namespace WgSharp.Tests.Crypto;

public class Blake2sTests
{
    public static TheoryData<int> AllLengths()
    {
        var d = new TheoryData<int>();
        for (int n = 0; n < 256; n++) d.Add(n);
        return d;
    }

    // The official BLAKE2 KAT (blake2s-kat.txt): key 00..1f, input 00 01 .. (n-1).
    [Theory]
    [MemberData(nameof(AllLengths))]
    public void KeyedKat(int length)
    {
        var output = new byte[32];
        Blake2s.Hash(output, Pattern(length), Pattern(32));
        Assert.Equal(Blake2sVectors.Keyed256[length], ToHex(output));
    }

    [Theory]
    [MemberData(nameof(AllLengths))]
    public void UnkeyedKat(int length)
    {
        var output = new byte[32];
        Blake2s.Hash(output, Pattern(length));
        Assert.Equal(Blake2sVectors.Unkeyed256[length], ToHex(output));
    }

    [Fact]
    public void Rfc7693_AppendixB_Abc()
    {
        var output = new byte[32];
        Blake2s.Hash(output, "abc"u8);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", ToHex(output));
    }

    [Fact]
    public void EmptyInput()
    {
        var output = new byte[32];
        Blake2s.Hash(output, ReadOnlySpan<byte>.Empty);
        Assert.Equal("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", ToHex(output));
    }

    // WireGuard's initial chaining key, HASH(CONSTRUCTION), as every implementation hard-codes it.
    [Fact]
    public void WireGuardConstructionHash()
    {
        var output = new byte[32];
        Blake2s.Hash(output, Encoding.ASCII.GetBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
        Assert.Equal("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", ToHex(output));
    }

    // BLAKE2s-128 keyed with a 32-byte key is the shape of WireGuard's mac1 and mac2.
    [Fact]
    public void Keyed128()
    {
        foreach (var (length, digest) in Blake2sVectors.Keyed128)
        {
            var output = new byte[16];
            Blake2s.Hash(output, Pattern(length), Pattern(32));
            Assert.Equal(digest, ToHex(output));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(13)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(200)]
    public void IncrementalUpdateEqualsOneShot(int chunk)
    {
        foreach (int total in new[] { 0, 1, 63, 64, 65, 128, 129, 255, 1000 })
        {
            foreach (bool keyed in new[] { false, true })
            {
                var data = TestBytes.Random(total, total * 31 + chunk);
                var key = keyed ? Pattern(32, 0x42) : Array.Empty<byte>();
                var oneShot = new byte[32];
                Blake2s.Hash(oneShot, data, key);

                var h = new Blake2s(32, key);
                for (int off = 0; off < total; off += chunk)
                    h.Update(data.AsSpan(off, Math.Min(chunk, total - off)));
                var incremental = new byte[32];
                h.Final(incremental);
                Assert.True(oneShot.AsSpan().SequenceEqual(incremental), $"total {total}, keyed {keyed}");
            }
        }
    }

    [Fact]
    public void EmptyUpdatesChangeNothing()
    {
        var h = new Blake2s(32);
        h.Update(ReadOnlySpan<byte>.Empty);
        h.Update("ab"u8);
        h.Update(ReadOnlySpan<byte>.Empty);
        h.Update("c"u8);
        var output = new byte[32];
        h.Final(output);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", ToHex(output));
    }

    [Fact]
    public void HashConcatEqualsHashOfConcatenation()
    {
        var a = Pattern(32, 1);
        var b = Pattern(100, 7);
        var expected = new byte[32];
        Blake2s.Hash(expected, a.Concat(b).ToArray());
        var actual = new byte[32];
        Blake2s.HashConcat(actual, a, b);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BadParametersThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(33));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(32, new byte[33]));
        Assert.Throws<ArgumentException>(() => { var h = new Blake2s(32); h.Final(new byte[31]); });
    }
}
