using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Cli.Daemon;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Issue 21, finding 3: who may read the metrics. The request parser's verdicts (a pure function, also the fuzz
/// target), the bearer token read from a file, and the Unix-socket listener.
/// </summary>
public sealed class MetricsAccessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-metrics-access-").FullName;
    private readonly Meter _meter = new($"access-test-{Guid.NewGuid():N}");

    public MetricsAccessTests() =>
        _meter.CreateObservableCounter("wireguard_sent_bytes", () => new Measurement<long>(3, new KeyValuePair<string, object?>("interface", "wg0")));

    public void Dispose()
    {
        _meter.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static readonly MetricsAccess Loopback = new(IPAddress.Loopback, checkHost: true, ["metrics.example.net"], null);

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9586\r\n\r\n", "Serve")]
    [InlineData("GET /metrics?x=1 HTTP/1.0\r\n\r\n", "Serve")] // no Host: not a browser
    [InlineData("GET /metrics HTTP/1.1\r\nhost: Metrics.Example.NET:80\r\n\r\n", "Serve")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", "Serve")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n", "ForbiddenHost")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: [::1]:9586\r\n\r\n", "ForbiddenHost")] // not the listen address
    [InlineData("GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n", "ForbiddenHost")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: localhost:notaport\r\n\r\n", "ForbiddenHost")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n", "BadRequest")]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", "BadRequest")]
    [InlineData("GET /metrics\r\n\r\n", "BadRequest")]
    [InlineData("POST /metrics HTTP/1.1\r\n\r\n", "MethodNotAllowed")]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "NotFound")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: localhost\r\n", "Incomplete")]
    [InlineData("\r\n\r\n", "BadRequest")]
    public void TheRequestParserJudgesMethodPathAndHost(string request, string expected) =>
        Assert.Equal(Enum.Parse<MetricsVerdict>(expected), MetricsRequest.Judge(Encoding.ASCII.GetBytes(request), Loopback));

    [Fact]
    public void EveryPrefixOfARequestIsJudgedWithoutThrowing()
    {
        var request = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: [::1]:9586\r\nAuthorization: Bearer abc\r\n\r\n");
        var access = new MetricsAccess(null, checkHost: true, [], MetricsEndpoint.ReadTokenHash(WriteToken("abc")));
        for (int length = 0; length < request.Length; length++)
            Assert.Equal(MetricsVerdict.Incomplete, MetricsRequest.Judge(request.AsSpan(0, length), access));
        Assert.Equal(MetricsVerdict.Serve, MetricsRequest.Judge(request, access));
    }

    [Fact]
    public async Task ABearerTokenFromAFileIsRequired()
    {
        string tokenFile = WriteToken("s3cret-Token_1\n");
        var listener = MetricsEndpointStallTests.LoopbackListener(out int port);
        var access = new MetricsAccess(IPAddress.Loopback, checkHost: true, [], MetricsEndpoint.ReadTokenHash(tokenFile));
        using var server = MetricsEndpoint.Serve(listener, new PrometheusExposition(_meter.Name), access, NullLogger.Instance);
        var timeout = TimeSpan.FromSeconds(30);

        string none = await MetricsEndpointStallTests.Scrape(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout);
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", none);
        Assert.Contains("WWW-Authenticate: Bearer\r\n", none);
        string wrong = await MetricsEndpointStallTests.Scrape(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer s3cret-Token_2\r\n\r\n", timeout);
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", wrong);
        Assert.DoesNotContain("wireguard_sent_bytes", wrong);
        string right = await MetricsEndpointStallTests.Scrape(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nauthorization: bearer s3cret-Token_1\r\n\r\n", timeout);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", right);
        Assert.Contains("wireguard_sent_bytes_total{interface=\"wg0\"} 3\n", right);
    }

    [Fact]
    public void ABadTokenFileIsOneLineThatNeverShowsTheToken()
    {
        var missing = Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.ReadTokenHash(Path.Combine(_directory, "none")));
        Assert.StartsWith($"WGSHARP_METRICS_TOKEN_FILE: {_directory}/none: cannot read it", missing.Message);
        Assert.Contains("empty", Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.ReadTokenHash(WriteToken(" \n"))).Message);
        var twoWords = Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.ReadTokenHash(WriteToken("secretpart1 secretpart2\n")));
        Assert.DoesNotContain("secretpart", twoWords.Message);
        Assert.Single(twoWords.Message.Split('\n'));
    }

    [Fact]
    public async Task AUnixSocketListenerServesAnyHostAndIsBornMode0660()
    {
        string path = Path.Combine(_directory, "metrics.sock");
        using (var endpoint = MetricsEndpoint.Start("unix:" + path, null, null, _meter.Name, NullLogger.Instance))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel.Token);
            await socket.SendAsync("GET /metrics HTTP/1.1\r\nHost: anything.example\r\n\r\n"u8.ToArray(), cancel.Token);
            string response = await MetricsEndpointStallTests.ReadToEnd(socket, cancel.Token);
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
            Assert.Contains("wireguard_sent_bytes_total{interface=\"wg0\"} 3\n", response);
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AUnixPathHeldByAnotherProgramOrAFileIsRefused()
    {
        string path = Path.Combine(_directory, "taken");
        File.WriteAllText(path, "not a socket");
        var error = Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.Start("unix:" + path, null, null, _meter.Name, NullLogger.Instance));
        Assert.Equal($"cannot serve metrics on unix:{path}: it exists and is not a socket", error.Message);
        Assert.True(File.Exists(path));
        Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.Start("unix:relative.sock", null, null, _meter.Name, NullLogger.Instance));
    }

    private string WriteToken(string text)
    {
        string path = Path.Combine(_directory, $"token-{Guid.NewGuid():N}");
        File.WriteAllText(path, text);
        return path;
    }
}
