using WgSharp.Crypto;

namespace WgSharp.Tests.Crypto;

public class SecureRandomTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(4096)]
    public void FillsEveryByteWithFreshRandomness(int length)
    {
        var a = new byte[length];
        var b = new byte[length];
        SecureRandom.Fill(a);
        SecureRandom.Fill(b);
        Assert.False(a.AsSpan().SequenceEqual(b));
        // A buffer left unfilled at its end would keep zeros there: the last 16 bytes are not all zero.
        Assert.Contains(a[^16..], x => x != 0);
    }

    [Fact]
    public void EmptyDestinationIsFine() => SecureRandom.Fill(Span<byte>.Empty);
}
