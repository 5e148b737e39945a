using System.Text;
using WgSharp.Cli.Proxy.Http;

namespace WgSharp.Tests.Proxy;

public class ChunkedBodyScannerTests
{
    private const string Body = "5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";

    [Fact]
    public void TheBodyEndsAfterTheLastChunkAndTheTrailer()
    {
        var scanner = new ChunkedBodyScanner(1024);
        var bytes = Encoding.ASCII.GetBytes(Body + "NEXT REQUEST");
        Assert.Equal(Body.Length, scanner.Advance(bytes));
        Assert.True(scanner.IsComplete);
        Assert.False(scanner.IsMalformed);
    }

    [Fact]
    public void OneByteAtATimeFindsTheSameEnd()
    {
        var scanner = new ChunkedBodyScanner(1024);
        var bytes = Encoding.ASCII.GetBytes(Body + "tail");
        int total = 0;
        for (int i = 0; i < bytes.Length && !scanner.IsComplete; i++) total += scanner.Advance(bytes.AsSpan(i, 1));
        Assert.True(scanner.IsComplete);
        Assert.Equal(Body.Length, total);
    }

    [Fact]
    public void AnUnfinishedBodyTakesEverythingAndWaits()
    {
        var scanner = new ChunkedBodyScanner(1024);
        Assert.Equal(12, scanner.Advance("10\r\n01234567"u8));
        Assert.False(scanner.IsComplete || scanner.IsMalformed);
        Assert.Equal(10, scanner.Advance("89abcdef\r\n"u8));
        Assert.Equal(5, scanner.Advance("0\r\n\r\n"u8));
        Assert.True(scanner.IsComplete);
    }

    [Theory]
    [InlineData("x\r\n")]                      // no digits
    [InlineData("5\nhello\r\n0\r\n\r\n")]      // a bare LF ends the size line
    [InlineData("5\r\nhelloXX0\r\n\r\n")]      // no CRLF after the data
    [InlineData("5\r\nhello\rX")]
    [InlineData("0\r\nX: y\n\r\n")]            // a bare LF in the trailer
    [InlineData("fffffffffffffffff\r\n")]     // a size that overflows
    [InlineData(";ext\r\n")]                   // extensions without a size
    public void BadFramingIsMalformed(string body)
    {
        var scanner = new ChunkedBodyScanner(1024);
        scanner.Advance(Encoding.ASCII.GetBytes(body));
        Assert.True(scanner.IsMalformed);
        Assert.False(scanner.IsComplete);
    }

    [Fact]
    public void SizeLinesAndTrailersHaveLimits()
    {
        var longLine = new ChunkedBodyScanner(1024);
        longLine.Advance(Encoding.ASCII.GetBytes("5;" + new string('e', 2000)));
        Assert.True(longLine.IsMalformed);
        var longTrailer = new ChunkedBodyScanner(100);
        longTrailer.Advance(Encoding.ASCII.GetBytes("0\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", 30))));
        Assert.True(longTrailer.IsMalformed);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(7230);
        var alphabet = "0123456789abcdefABCDEF;=\r\n xyz"u8.ToArray();
        var data = new byte[200];
        for (int round = 0; round < 3000; round++)
        {
            int length = random.Next(data.Length);
            for (int i = 0; i < length; i++) data[i] = round % 4 == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            var scanner = new ChunkedBodyScanner(64);
            int taken = scanner.Advance(data.AsSpan(0, length));
            Assert.InRange(taken, 0, length);
        }
    }
}
