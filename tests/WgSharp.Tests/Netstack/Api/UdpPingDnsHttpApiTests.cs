using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Netstack.Dns;
using WgSharp.Tests.Netstack.Dns;

namespace WgSharp.Tests.Netstack.Api;

public class UdpPingDnsHttpApiTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpDatagramsGoBothWays(bool ipv6)
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var server = pair.B.BindUdp(5000);
        using var client = pair.A.BindUdp();
        var serverAddress = new IPEndPoint(ipv6 ? ApiPair.B6 : ApiPair.B4, 5000);

        Assert.Equal(5, await client.SendToAsync("hello"u8.ToArray(), serverAddress, ct));
        var buffer = new byte[100];
        var request = await server.ReceiveFromAsync(buffer, ct);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, request.ReceivedBytes));
        var clientAddress = Assert.IsType<IPEndPoint>(request.RemoteEndPoint);
        Assert.Equal(ipv6 ? ApiPair.A6 : ApiPair.A4, clientAddress.Address);
        Assert.Equal(client.LocalEndPoint.Port, clientAddress.Port);

        await server.SendToAsync("world!"u8.ToArray(), clientAddress, ct);
        var reply = await client.ReceiveFromAsync(buffer.AsMemory(0, 3), ct); // cut to the buffer
        Assert.Equal(3, reply.ReceivedBytes);
        Assert.Equal(serverAddress, reply.RemoteEndPoint);
    }

    [Fact]
    public async Task APortUnreachableSurfacesAsConnectionRefusedOnTheNextReceive()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var client = pair.A.BindUdp();
        var receiving = client.ReceiveFromAsync(new byte[10], ct);
        await client.SendToAsync(new byte[4], new IPEndPoint(ApiPair.B4, 5999), ct); // nobody there
        var error = await Assert.ThrowsAsync<SocketException>(async () => await receiving);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task UdpErrorsAreSocketExceptions()
    {
        using var pair = new ApiPair();
        using var client = pair.A.BindUdp();
        var tooBig = await Assert.ThrowsAsync<SocketException>(async () => await client.SendToAsync(new byte[2000], new IPEndPoint(ApiPair.B4, 9)));
        Assert.Equal(SocketError.MessageSize, tooBig.SocketErrorCode);
        var multicast = await Assert.ThrowsAsync<SocketException>(async () => await client.SendToAsync(new byte[1], new IPEndPoint(IPAddress.Parse("224.0.0.1"), 9)));
        Assert.Equal(SocketError.AddressNotAvailable, multicast.SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.SendToAsync(new byte[1], new IPEndPoint(ApiPair.B4, 0)); });
        var notOurs = Assert.Throws<SocketException>(() => pair.A.BindUdp(new IPEndPoint(ApiPair.B4, 0)));
        Assert.Equal(SocketError.AddressNotAvailable, notOurs.SocketErrorCode);
        using var taken = pair.A.BindUdp(5001);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => pair.A.BindUdp(5001)).SocketErrorCode);
    }

    [Fact]
    public async Task DisposingAUdpSocketEndsAWaitingReceive()
    {
        using var pair = new ApiPair();
        var socket = pair.A.BindUdp();
        var receiving = socket.ReceiveFromAsync(new byte[10], ApiPair.Deadline());
        socket.Dispose();
        var error = await Assert.ThrowsAsync<SocketException>(async () => await receiving);
        Assert.Equal(SocketError.OperationAborted, error.SocketErrorCode);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await socket.ReceiveFromAsync(new byte[10]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PingIsAnswered(bool ipv6)
    {
        using var pair = new ApiPair();
        var rtt = await pair.A.PingAsync(ipv6 ? ApiPair.B6 : ApiPair.B4, TimeSpan.FromSeconds(30), ApiPair.Deadline());
        Assert.True(rtt >= TimeSpan.Zero);
    }

    [Fact]
    public async Task PingWithoutARouteIsNetworkUnreachable()
    {
        using var pair = new ApiPair();
        pair.Stacks.A.Routes = _ => false;
        var error = await Assert.ThrowsAsync<SocketException>(() => pair.A.PingAsync(ApiPair.B4));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
    }

    /// <summary>B answers DNS on port 53 (svc.test: B's addresses) from a <see cref="TunnelUdpSocket"/>, until disposed.</summary>
    private static async Task ServeDnsAsync(TunnelUdpSocket socket, CancellationToken ct)
    {
        var buffer = new byte[512];
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult request;
            try { request = await socket.ReceiveFromAsync(buffer, ct); }
            catch (Exception) { return; }
            var query = buffer.AsSpan(0, request.ReceivedBytes).ToArray();
            int position = DnsMessage.HeaderSize;
            DnsMessage.TryReadName(query, ref position, out var name);
            bool isA = FakeDnsTransport.TypeOf(query) == 1;
            var response = name == "svc.test"
                ? DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).AddressRecord(isA ? ApiPair.B4 : ApiPair.B6, 60).ToArray()
                : DnsTestMessages.AnswerTo(query, DnsAnswer.NameError).ToArray();
            await socket.SendToAsync(response, request.RemoteEndPoint, ct);
        }
    }

    [Fact]
    public async Task NamesResolveThroughTheTunnelAndConnectionsUseThem()
    {
        using var pair = new ApiPair(dnsServersOfA: [ApiPair.B4]);
        var ct = ApiPair.Deadline();
        using var dns = pair.B.BindUdp(53);
        using var stopDns = new CancellationTokenSource();
        var serving = ServeDnsAsync(dns, stopDns.Token);

        Assert.Equal([ApiPair.B4, ApiPair.B6], await pair.A.ResolveAsync("svc.test", ct));
        var missing = await Assert.ThrowsAsync<SocketException>(() => pair.A.ResolveAsync("nothing.test", ct));
        Assert.Equal(SocketError.HostNotFound, missing.SocketErrorCode);

        using var listener = pair.B.Listen(7100);
        var accepting = listener.AcceptAsync(ct);
        await using var stream = await pair.A.ConnectAsync(new DnsEndPoint("svc.test", 7100), ct);
        await using var accepted = await accepting;
        Assert.Equal(ApiPair.B4, stream.RemoteEndPoint.Address);

        using var udp = pair.A.BindUdp();
        Assert.Equal(3, await udp.SendToAsync(new byte[3], new DnsEndPoint("svc.test", 7101), ct));
        stopDns.Cancel();
        await serving;
    }

    [Fact]
    public async Task NoDnsServersMeansNamesDoNotResolve()
    {
        using var pair = new ApiPair();
        var error = await Assert.ThrowsAsync<SocketException>(() => pair.A.ConnectAsync(new DnsEndPoint("svc.test", 80)));
        Assert.Equal(SocketError.NoData, error.SocketErrorCode);
    }

    [Fact]
    public async Task HttpClientGoesThroughTheTunnel()
    {
        using var pair = new ApiPair(dnsServersOfA: [ApiPair.B4]);
        var ct = ApiPair.Deadline();
        using var dns = pair.B.BindUdp(53);
        using var stopDns = new CancellationTokenSource();
        var serving = ServeDnsAsync(dns, stopDns.Token);
        using var listener = pair.B.Listen(8080);
        var http = ServeHttpAsync(listener, requests: 3, ct);

        using var client = new HttpClient(pair.A.CreateHttpMessageHandler());
        Assert.Equal("hello from /a", await client.GetStringAsync("http://svc.test:8080/a", ct));
        Assert.Equal("hello from /b", await client.GetStringAsync("http://svc.test:8080/b", ct)); // the same connection, kept alive
        Assert.Equal("hello from /c", await client.GetStringAsync("http://10.99.0.2:8080/c", ct)); // a literal: no DNS
        await http;
        stopDns.Cancel();
        await serving;
    }

    /// <summary>A minimal HTTP/1.1 server: answers <paramref name="requests"/> GETs with "hello from PATH", keeping connections alive.</summary>
    private static async Task ServeHttpAsync(TunnelListener listener, int requests, CancellationToken ct)
    {
        int served = 0;
        var allServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                TunnelStream stream;
                try { stream = await listener.AcceptAsync(ct); }
                catch (Exception) { return; } // the listener is disposed at the end of the test
                _ = ServeConnectionAsync(stream);
            }
        }, ct);
        await allServed.Task.WaitAsync(ct);

        async Task ServeConnectionAsync(TunnelStream stream)
        {
            await Task.Run(async () =>
            {
                await using var _ = stream;
                var buffer = new byte[4096];
                var pending = new StringBuilder();
                while (true)
                {
                    int n = await stream.ReadAsync(buffer, ct);
                    if (n == 0) return;
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    int end;
                    while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        string head = pending.ToString(0, end);
                        pending.Remove(0, end + 4);
                        string path = head.Split(' ')[1];
                        var body = Encoding.ASCII.GetBytes("hello from " + path);
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nContent-Type: text/plain\r\n\r\n"), ct);
                        await stream.WriteAsync(body, ct);
                        if (Interlocked.Increment(ref served) == requests) allServed.TrySetResult();
                    }
                }
            }, ct);
        }
    }
}
