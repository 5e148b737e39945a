using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Cli.Proxy;

namespace WgSharp.Tests.Proxy;

public sealed class HttpProxyServerTests(ProxyTestNetwork network) : IClassFixture<ProxyTestNetwork>
{
    private static IProxyService Start(ProxyContext context)
    {
        var service = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.Http, new IPEndPoint(IPAddress.Loopback, 0)), context);
        service.Start();
        return service;
    }

    private static HttpClient ClientThrough(IProxyService service, NetworkCredential? credentials = null) =>
        new(new SocketsHttpHandler { Proxy = new WebProxy($"http://{service.LocalEndPoint}") { Credentials = credentials }, UseProxy = true });

    /// <summary>Sends <paramref name="request"/> as is and reads the response until the proxy closes.</summary>
    private static async Task<string> RawAsync(IProxyService service, byte[] request, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(service.LocalEndPoint!, ct);
        await socket.SendAsync(request, SocketFlags.None, ct);
        var response = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0) response.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(response.ToArray());
    }

    [Fact]
    public async Task AnAbsoluteUriRequestIsRewrittenForTheOrigin()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var service = Start(context);
        using var http = ClientThrough(service);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{ProxyTestNetwork.FarName}/form?x=1") { Content = new StringContent("name=value") };
        request.Headers.Add("X-Kept", "yes");
        request.Headers.Add("Proxy-Debug", "dropped");
        using var response = await http.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = await response.Content.ReadAsStringAsync(ct);
        var lines = seen.Split("\r\n");
        Assert.Equal("POST /form?x=1 HTTP/1.1", lines[0]);
        Assert.Contains("Host: svc.test", lines);
        Assert.Contains("X-Kept: yes", lines);
        Assert.Contains("Connection: close", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("[body 10]", lines[^1]);
        Assert.True(context.Counters.All().Single().BytesOut > 0);
    }

    [Fact]
    public async Task AChunkedBodyIsForwardedToItsEndAndNothingAfterIt()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var origin = network.Far.Listen(8081);
        var received = Task.Run(async () =>
        {
            await using var stream = await origin.AcceptAsync(ct);
            var all = new List<byte>();
            var buffer = new byte[4096];
            while (!Encoding.ASCII.GetString([.. all]).EndsWith("0\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await stream.ReadAsync(buffer, ct);
                if (n == 0) break;
                all.AddRange(buffer.AsSpan(0, n));
            }
            await stream.WriteAsync("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"u8.ToArray(), ct);
            stream.ShutdownWrite();
            var more = await stream.ReadAsync(buffer, ct); // the proxy sends nothing after the body: it closes
            return (Encoding.ASCII.GetString([.. all]), more);
        }, ct);
        await using var service = Start(network.Context());
        const string Chunked = "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n";
        var response = await RawAsync(service, Encoding.ASCII.GetBytes(
            "POST http://10.97.0.2:8081/upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunked + "GET http://elsewhere/ HTTP/1.1\r\n\r\n"), ct);
        Assert.StartsWith("HTTP/1.1 204 No Content", response);
        var (seen, after) = await received;
        Assert.EndsWith("\r\n\r\n" + Chunked, seen);
        Assert.StartsWith("POST /upload HTTP/1.1\r\n", seen);
        Assert.DoesNotContain("elsewhere", seen);
        Assert.Equal(0, after);
    }

    [Fact]
    public async Task ConnectOpensATunnelToAnAddress()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(service.LocalEndPoint!, ct);
        // The first bytes for the target ride with the request.
        await socket.SendAsync("CONNECT [fd97::2]:7 HTTP/1.1\r\nHost: [fd97::2]:7\r\n\r\nping"u8.ToArray(), SocketFlags.None, ct);
        const string Expected = "HTTP/1.1 200 Connection Established\r\n\r\nping";
        var received = new byte[Expected.Length];
        int have = 0;
        while (have < received.Length) have += await socket.ReceiveAsync(received.AsMemory(have), SocketFlags.None, ct);
        Assert.Equal(Expected, Encoding.ASCII.GetString(received));
    }

    [Fact]
    public async Task HttpClientTunnelsThroughConnectByName()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(service.LocalEndPoint!, ct);
        await socket.SendAsync("CONNECT svc.test:80 HTTP/1.1\r\n\r\nGET /inside HTTP/1.1\r\nHost: svc.test\r\n\r\n"u8.ToArray(), SocketFlags.None, ct);
        var response = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0) response.Write(buffer, 0, n);
        var text = Encoding.ASCII.GetString(response.ToArray());
        Assert.StartsWith("HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK", text);
        Assert.Contains("GET /inside HTTP/1.1", text);
    }

    [Theory]
    [InlineData("CONNECT 10.97.0.2:9 HTTP/1.1\r\n\r\n", "HTTP/1.1 502 ")]
    [InlineData("CONNECT nothing.test:80 HTTP/1.1\r\n\r\n", "HTTP/1.1 502 ")]
    [InlineData("CONNECT 10.200.0.1:80 HTTP/1.1\r\n\r\n", "HTTP/1.1 502 ")]
    [InlineData("GET http://10.97.0.2:9/ HTTP/1.1\r\n\r\n", "HTTP/1.1 502 ")]
    [InlineData("CONNECT svc.test HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET /relative HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET https://svc.test/ HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("\u0005\u0001\u0000\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET http://a/ HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", "HTTP/1.1 400 ")]
    public async Task BadRequestsAndUnreachableTargetsGetTheirStatus(string request, string expected)
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var service = Start(context);
        var response = await RawAsync(service, Encoding.Latin1.GetBytes(request), ct);
        Assert.StartsWith(expected, response);
        Assert.Contains("Connection: close", response);
        Assert.Equal(1, context.Counters.All().Single().Refused);
    }

    [Fact]
    public async Task ATargetThatDoesNotAnswerInTimeIs504()
    {
        var ct = ProxyTestNetwork.Deadline();
        // Routed to the far peer (its allowed IPs are the /24) but nobody has the address: SYNs go unanswered.
        await using var service = Start(network.Context(new ProxyLimits { ConnectTimeout = TimeSpan.FromMilliseconds(300) }));
        var response = await RawAsync(service, "CONNECT 10.97.0.3:80 HTTP/1.1\r\n\r\n"u8.ToArray(), ct);
        Assert.StartsWith("HTTP/1.1 504 ", response);
    }

    [Fact]
    public async Task AClientThatNeverFinishesItsHeadIsClosedAfterTheHandshakeTimeout()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context(new ProxyLimits { HandshakeTimeout = TimeSpan.FromMilliseconds(200) });
        await using var service = Start(context);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(service.LocalEndPoint!, ct);
        await socket.SendAsync("GET http://svc.test/ HTTP/1.1\r\nHost: sv"u8.ToArray(), SocketFlags.None, ct);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[100], SocketFlags.None, ct));
    }

    [Fact]
    public async Task AHugeHeadIs431AndTheProxyKeepsServing()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context(new ProxyLimits { MaxHttpHeadBytes = 4096 }));
        var huge = "GET http://svc.test/ HTTP/1.1\r\nX-Big: " + new string('a', 100_000) + "\r\n\r\n";
        var response = await RawAsync(service, Encoding.ASCII.GetBytes(huge), ct);
        Assert.StartsWith("HTTP/1.1 431 ", response);
        using var http = ClientThrough(service);
        Assert.StartsWith("GET /after HTTP/1.1", await http.GetStringAsync($"http://{ProxyTestNetwork.FarName}/after", ct));
    }

    [Fact]
    public async Task HttpClientAnswersTheChallengeWithItsCredentials()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context(credentials: new ProxyCredentials("bob", "pw")));
        using (var right = ClientThrough(service, new NetworkCredential("bob", "pw")))
            Assert.StartsWith("GET /with-credentials HTTP/1.1", await right.GetStringAsync($"http://{ProxyTestNetwork.FarName}/with-credentials", ct));
        using var wrong = ClientThrough(service, new NetworkCredential("bob", "nope"));
        using var response = await wrong.GetAsync($"http://{ProxyTestNetwork.FarName}/", ct);
        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, response.StatusCode);
    }

    [Fact]
    public async Task WithCredentialsProxyAuthorizationIsRequired()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context(credentials: new ProxyCredentials("bob", "pa:ss"));
        await using var service = Start(context);
        var missing = await RawAsync(service, "GET http://svc.test/ HTTP/1.1\r\n\r\n"u8.ToArray(), ct);
        Assert.StartsWith("HTTP/1.1 407 ", missing);
        Assert.Contains("Proxy-Authenticate: Basic realm=\"wgsharp\"", missing);
        var wrong = await RawAsync(service, Encoding.ASCII.GetBytes($"GET http://svc.test/ HTTP/1.1\r\nProxy-Authorization: Basic {Convert.ToBase64String("bob:pa:sS"u8)}\r\n\r\n"), ct);
        Assert.StartsWith("HTTP/1.1 407 ", wrong);
        var garbage = await RawAsync(service, "GET http://svc.test/ HTTP/1.1\r\nProxy-Authorization: Basic !!!\r\n\r\n"u8.ToArray(), ct);
        Assert.StartsWith("HTTP/1.1 407 ", garbage);

        var right = await RawAsync(service, Encoding.ASCII.GetBytes($"GET http://svc.test/ok HTTP/1.1\r\nProxy-Authorization: Basic {Convert.ToBase64String("bob:pa:ss"u8)}\r\n\r\n"), ct);
        Assert.StartsWith("HTTP/1.1 200 OK", right);
        Assert.DoesNotContain("Proxy-Authorization", right); // not passed on to the origin
        Assert.Equal(3, context.Counters.All().Single().Refused);
    }
}
