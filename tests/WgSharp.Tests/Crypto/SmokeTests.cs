using WgSharp.Crypto;
namespace WgSharp.Tests.Crypto;
public class SmokeTests
{
    [Fact]
    public void Blake2sEmpty()
    {
        Span<byte> o = stackalloc byte[32];
        Blake2s.Hash(o, ReadOnlySpan<byte>.Empty);
        Assert.Equal("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", Convert.ToHexStringLower(o));
    }
}
