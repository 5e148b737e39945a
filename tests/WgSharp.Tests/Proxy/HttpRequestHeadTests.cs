using System.Text;
using WgSharp.Cli.Proxy.Http;

namespace WgSharp.Tests.Proxy;

public class HttpRequestHeadTests
{
    private static HttpHeadParse Parse(string text, out HttpRequestHead? head) => HttpRequestHead.Parse(Encoding.Latin1.GetBytes(text), out head);

    [Fact]
    public void AWholeHeadIsReadWithItsLength()
    {
        const string Text = "GET http://svc.test/a?b=1 HTTP/1.1\r\nHost: svc.test\r\nX-Thing:  spaced \t\r\n\r\nBODY";
        Assert.Equal(HttpHeadParse.Complete, Parse(Text, out var head));
        Assert.Equal("GET", head!.Method);
        Assert.Equal("http://svc.test/a?b=1", head.Target);
        Assert.Equal("HTTP/1.1", head.Version);
        Assert.Equal(Text.IndexOf("BODY", StringComparison.Ordinal), head.Length);
        Assert.Equal("spaced", head.Header("x-thing"));
        Assert.Null(head.Header("Missing"));
    }

    [Fact]
    public void EmptyLinesBeforeTheRequestLineAreSkipped()
    {
        Assert.Equal(HttpHeadParse.Complete, Parse("\r\n\r\nCONNECT a:1 HTTP/1.0\r\n\r\n", out var head));
        Assert.Equal("CONNECT", head!.Method);
        Assert.Equal(28, head.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET http://a/ HTTP/1.1\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: a\r\n")]
    public void AHeadWithoutItsEmptyLineIsIncomplete(string text) => Assert.Equal(HttpHeadParse.Incomplete, Parse(text, out _));

    [Theory]
    [InlineData("GET http://a/ HTTP/2.0\r\n\r\n")]
    [InlineData("GET http://a/\r\n\r\n")]
    [InlineData("GET  http://a/ HTTP/1.1\r\n\r\n")]
    [InlineData(" GET http://a/ HTTP/1.1\r\n\r\n")]
    [InlineData("G(T http://a/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://a/\u00e9 HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nNoColon\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\n: empty name\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nA: x\ry\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nA: x\0y\r\n\r\n")]
    [InlineData("POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("POST http://a/ HTTP/1.1\r\nContent-Length: -5\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n")]
    [InlineData("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")]
    public void MalformedHeads(string text) => Assert.Equal(HttpHeadParse.Malformed, Parse(text, out _));

    [Fact]
    public void RepeatedEqualContentLengthsAndHighBytesInValuesAreAccepted()
    {
        Assert.Equal(HttpHeadParse.Complete, Parse("POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\nX: caf\u00e9\r\n\r\n", out var head));
        Assert.Equal("caf\u00e9", head!.Header("X"));
    }

    [Theory]
    [InlineData("svc.test:443", 0, "svc.test", 443)]
    [InlineData("10.0.0.1:22", 0, "10.0.0.1", 22)]
    [InlineData("[fd97::2]:8080", 0, "fd97::2", 8080)]
    [InlineData("svc.test", 80, "svc.test", 80)]
    [InlineData("[fd97::2]", 80, "fd97::2", 80)]
    public void AuthoritiesSplit(string authority, int defaultPort, string host, int port)
    {
        Assert.True(HttpRequestHead.TryParseAuthority(authority, defaultPort, out var parsedHost, out int parsedPort));
        Assert.Equal(host, parsedHost);
        Assert.Equal(port, parsedPort);
    }

    [Theory]
    [InlineData("svc.test")]
    [InlineData("svc.test:")]
    [InlineData(":443")]
    [InlineData("svc.test:0")]
    [InlineData("svc.test:65536")]
    [InlineData("svc.test:+1")]
    [InlineData("user@svc.test:443")]
    [InlineData("fd97::2:443")]
    [InlineData("[fd97::2")]
    [InlineData("[10.0.0.1]:443")]
    [InlineData("[fd97::2]x443")]
    [InlineData("")]
    public void BadAuthorities(string authority) => Assert.False(HttpRequestHead.TryParseAuthority(authority, 0, out _, out _));

    [Theory]
    [InlineData("http://svc.test/a/b?c", "svc.test", 80, "svc.test", "/a/b?c")]
    [InlineData("HTTP://svc.test:8080", "svc.test", 8080, "svc.test:8080", "/")]
    [InlineData("http://svc.test?q", "svc.test", 80, "svc.test", "/?q")]
    [InlineData("http://[fd97::2]:81/x#frag", "fd97::2", 81, "[fd97::2]:81", "/x")]
    public void AbsoluteUrisSplit(string target, string host, int port, string authority, string originForm)
    {
        Assert.True(HttpRequestHead.TryParseAbsoluteHttp(target, out var h, out int p, out var a, out var o));
        Assert.Equal((host, port, authority, originForm), (h, p, a, o));
    }

    [Theory]
    [InlineData("/relative")]
    [InlineData("https://svc.test/")]
    [InlineData("http:///path")]
    [InlineData("http://user:pw@svc.test/")]
    public void NotAbsoluteHttpUris(string target) => Assert.False(HttpRequestHead.TryParseAbsoluteHttp(target, out _, out _, out _, out _));

    [Fact]
    public void TheParserNeverThrowsOnRandomBytes()
    {
        var random = new Random(9112);
        var alphabet = Encoding.ASCII.GetBytes("GET http://a:1/ HTTP/1.1\r\n:\t []@Content-Length5Transfer-Encoding\0\u007f");
        var data = new byte[300];
        for (int round = 0; round < 3000; round++)
        {
            int length = random.Next(data.Length);
            for (int i = 0; i < length; i++) data[i] = round % 3 == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            if (HttpRequestHead.Parse(data.AsSpan(0, length), out var head) == HttpHeadParse.Complete)
            {
                HttpRequestHead.TryParseAuthority(head!.Target, 0, out _, out _);
                HttpRequestHead.TryParseAbsoluteHttp(head.Target, out _, out _, out _, out _);
            }
        }
    }
}
