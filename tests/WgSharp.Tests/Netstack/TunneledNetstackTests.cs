using WgSharp.Tests.Integration.Infrastructure;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WgSharp.Device.IO;
using WgSharp.Netstack;

namespace WgSharp.Tests.Netstack;

/// <summary>
/// Userspace mode end to end in one process: two stacks behind real WireGuard devices (handshake, encryption,
/// cryptokey routing) on the in-memory network, reached through the public API types.
/// </summary>
[Collection(NetnsCollection.Name)] // megabytes through real devices: never beside the time-scaled device tests
public sealed class TunneledNetstackTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private readonly TunneledNetstackPair _pair = new();

    public void Dispose() => _pair.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoMegabytesCrossTheTunnelEachWayIntact(bool ipv6)
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var networkA = new WireGuardNetwork(_pair.A.Stack);
        var networkB = new WireGuardNetwork(_pair.B.Stack);
        await using var listener = networkB.Listen(8080);
        var upload = RandomNumberGenerator.GetBytes(2 << 20);
        var download = RandomNumberGenerator.GetBytes(2 << 20);

        var serve = Task.Run(async () =>
        {
            await using var server = await listener.AcceptAsync(timeout.Token);
            var received = await ReadToEndAsync(server, timeout.Token);
            await server.WriteAsync(download, timeout.Token);
            return received;
        });
        var target = new IPEndPoint(ipv6 ? TunneledNetstackPair.InnerB6 : TunneledNetstackPair.InnerB4, 8080);
        await using var client = await networkA.ConnectAsync(target, timeout.Token);
        await client.WriteAsync(upload, timeout.Token);
        client.ShutdownWrite(); // half-close: the server reads to the end, then answers
        var answer = await ReadToEndAsync(client, timeout.Token);

        var uploaded = await serve;
        Assert.Equal(upload.Length, uploaded.Length);
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(uploaded));
        Assert.Equal(download.Length, answer.Length);
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(answer));
        Assert.Equal(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, client.LocalEndPoint.AddressFamily);
    }

    [Fact]
    public async Task ASideThatPingedFirstThenListensAcceptsTheOthersConnection()
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var networkA = new WireGuardNetwork(_pair.A.Stack);
        var networkB = new WireGuardNetwork(_pair.B.Stack);
        await networkA.PingAsync(TunneledNetstackPair.InnerB4, HangGuard, timeout.Token);
        await using var listener = networkA.Listen(7000);
        var accept = listener.AcceptAsync(timeout.Token).AsTask();
        await using var client = await networkB.ConnectAsync(new IPEndPoint(TunneledNetstackPair.InnerA4, 7000), timeout.Token);
        await using var server = await accept;
        await client.WriteAsync("x"u8.ToArray(), timeout.Token);
        var one = new byte[1];
        Assert.Equal(1, await server.ReadAsync(one, timeout.Token));
    }

    [Fact]
    public async Task AConnectionToAPortNobodyListensOnIsRefused()
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var network = new WireGuardNetwork(_pair.A.Stack);
        var error = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(TunneledNetstackPair.InnerB4, 9), timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task ADestinationNoPeerRoutesIsUnreachableAtOnce()
    {
        var network = new WireGuardNetwork(_pair.A.Stack);
        var error = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.200.0.1"), 80)));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
    }

    [Fact]
    public async Task PingAndUdpGoThroughTheTunnel()
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var networkA = new WireGuardNetwork(_pair.A.Stack);
        var networkB = new WireGuardNetwork(_pair.B.Stack);
        var rtt = await networkA.PingAsync(TunneledNetstackPair.InnerB4, HangGuard, timeout.Token);
        Assert.True(rtt >= TimeSpan.Zero);

        using var echo = networkB.BindUdp(5353);
        using var client = networkA.BindUdp();
        var buffer = new byte[2048];
        await client.SendToAsync("hello"u8.ToArray(), new IPEndPoint(TunneledNetstackPair.InnerB4, 5353), timeout.Token);
        var got = await echo.ReceiveFromAsync(buffer, timeout.Token);
        Assert.Equal("hello"u8.ToArray(), buffer[..got.ReceivedBytes]);
        Assert.Equal(TunneledNetstackPair.InnerA4, ((IPEndPoint)got.RemoteEndPoint).Address);
    }

    [Fact]
    public async Task AnHttpClientFetchesAPageFromAServerOnTheOtherStack()
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var networkA = new WireGuardNetwork(_pair.A.Stack);
        var networkB = new WireGuardNetwork(_pair.B.Stack);
        await using var listener = networkB.Listen(80);
        var serve = Task.Run(async () =>
        {
            await using var connection = await listener.AcceptAsync(timeout.Token);
            var request = new byte[4096];
            int n = 0;
            while (!System.Text.Encoding.ASCII.GetString(request, 0, n).Contains("\r\n\r\n"))
            {
                int read = await connection.ReadAsync(request.AsMemory(n), timeout.Token);
                if (read == 0) break;
                n += read;
            }
            var body = "through the tunnel"u8.ToArray();
            await connection.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), timeout.Token);
            await connection.WriteAsync(body, timeout.Token);
        });
        using var http = new HttpClient(networkA.CreateHttpMessageHandler());
        var text = await http.GetStringAsync($"http://{TunneledNetstackPair.InnerB4}/", timeout.Token);
        Assert.Equal("through the tunnel", text);
        await serve;
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }
}
