using System.Text;
using WgSharp.Cli.Proxy.Http;
using WgSharp.Cli.Proxy.Socks5;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// The "socks5" and "http-proxy" fuzz targets: what a proxy client sends, through the request parsers of `wgsharp proxy`.
/// </summary>
public static class FuzzProxy
{
    /// <summary>
    /// A SOCKS5 client's byte stream, parsed as the server does: greeting, then (when the greeting offers only
    /// username/password) RFC 1929 authentication, then the request; what is left is also parsed as a UDP datagram.
    /// Every parser also reads the whole input from its start.
    /// </summary>
    public static void Socks5(ReadOnlySpan<byte> input)
    {
        Socks5Protocol.ParseUserPass(input, out _, out _, out _);
        Destination(input, Socks5Protocol.ParseRequest(input, out _, out _, out var whole), whole);
        Destination(input, Socks5Protocol.ParseUdpHeader(input, out _, out whole, out _), whole);

        if (Socks5Protocol.ParseGreeting(input, out int consumed, out bool noAuth, out bool userPass) != Socks5Parse.Complete) return;
        var rest = input[consumed..];
        if (userPass && !noAuth)
        {
            if (Socks5Protocol.ParseUserPass(rest, out consumed, out var user, out var password) != Socks5Parse.Complete) return;
            _ = rest[user].Length + rest[password].Length;
            rest = rest[consumed..];
        }
        var parse = Socks5Protocol.ParseRequest(rest, out consumed, out _, out var address);
        Destination(rest, parse, address);
        if (parse != Socks5Parse.Complete) return;
        rest = rest[consumed..];
        Destination(rest, Socks5Protocol.ParseUdpHeader(rest, out _, out address, out _), address);
    }

    private static void Destination(ReadOnlySpan<byte> message, Socks5Parse parse, Socks5Address address)
    {
        if (parse == Socks5Parse.Complete) address.ToEndPoint(message);
    }

    /// <summary>An HTTP proxy client's request: its head parsed, its target split and rewritten as for the origin, a chunked body scanned to its end.</summary>
    public static void HttpProxy(ReadOnlySpan<byte> input)
    {
        if (HttpRequestHead.Parse(input, out var head) != HttpHeadParse.Complete) return;
        HttpRequestHead.TryParseAuthority(head!.Target, 0, out _, out _);
        if (HttpRequestHead.TryParseAbsoluteHttp(head.Target, out _, out _, out var authority, out var path))
            HttpProxyServer.RewriteHead(head, authority, path);
        if (HttpMessageRelay.Framing(head).Chunked) new ChunkedBodyScanner(256).Advance(input[head.Length..]);
    }

    /// <summary>Seeds: the messages real clients send.</summary>
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> Seeds()
    {
        yield return ("socks5", "connect-ipv4", [5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, 0, 80, (byte)'G', (byte)'E', (byte)'T']);
        yield return ("socks5", "connect-name", [5, 2, 0, 2, 5, 1, 0, 3, 8, .. "svc.test"u8.ToArray(), 1, 187]);
        yield return ("socks5", "auth-connect-ipv6", [5, 1, 2, 1, 5, .. "alice"u8.ToArray(), 6, .. "s3cret"u8.ToArray(), 5, 1, 0, 4, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22]);
        yield return ("socks5", "udp-associate", [5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 8, .. "svc.test"u8.ToArray(), 0, 53, 1, 2, 3]);
        yield return ("socks5", "bind", [5, 1, 0, 5, 2, 0, 1, 192, 0, 2, 1, 0x1f, 0x90]);

        yield return ("http-proxy", "get-absolute", Encoding.ASCII.GetBytes("GET http://svc.test:8080/a/b?c=d HTTP/1.1\r\nHost: svc.test:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n"));
        yield return ("http-proxy", "connect", Encoding.ASCII.GetBytes("CONNECT [fd97::2]:443 HTTP/1.1\r\nHost: [fd97::2]:443\r\nProxy-Authorization: Basic Ym9iOnB3\r\n\r\n"));
        yield return ("http-proxy", "post-chunked", Encoding.ASCII.GetBytes("POST http://10.0.0.1/form HTTP/1.1\r\nConnection: X-Gone, keep-alive\r\nX-Gone: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        yield return ("http-proxy", "post-length", Encoding.ASCII.GetBytes("\r\nPUT http://svc.test HTTP/1.0\r\nContent-Length: 3\r\nTE: trailers\r\n\r\nabc"));
    }
}
