using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Forward;

namespace WgSharp.Tests.Proxy;

public sealed class ForwardTests(ProxyTestNetwork network) : IClassFixture<ProxyTestNetwork>
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Theory]
    [InlineData("10.97.0.2")]
    [InlineData("svc.test")]
    public async Task ATcpForwardCarriesEachClientToTheTarget(string target)
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.TcpForward, Loopback, target, ProxyTestNetwork.EchoPort), context);
        forward.Start();
        for (int i = 0; i < 3; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(forward.LocalEndPoint!, ct);
            await client.SendAsync(Encoding.ASCII.GetBytes($"client {i}"), SocketFlags.None, ct);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal($"client {i}", await ReadToEndAsync(client, ct));
        }
        Assert.Equal(3, context.Counters.All().Single().Opened);
    }

    [Fact]
    public async Task ATcpForwardToATargetThatRefusesClosesTheClientAndCounts()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.TcpForward, Loopback, "10.97.0.2", 9), context);
        forward.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(forward.LocalEndPoint!, ct);
        Assert.Equal("", await ReadToEndAsync(client, ct));
        Assert.Equal(1, context.Counters.All().Single().Refused);
    }

    [Fact]
    public async Task ARemoteTcpForwardLetsAPeerReachALocalService()
    {
        var ct = ProxyTestNetwork.Deadline();
        using var local = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        local.Bind(Loopback);
        local.Listen();
        var serving = Task.Run(async () =>
        {
            using var accepted = await local.AcceptAsync(ct);
            var request = await ReadToEndAsync(accepted, ct);
            await accepted.SendAsync(Encoding.ASCII.GetBytes("local saw: " + request), SocketFlags.None, ct);
        }, ct);
        var context = network.Context();
        var localPort = ((IPEndPoint)local.LocalEndPoint!).Port;
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.RemoteTcpForward, new IPEndPoint(IPAddress.Any, 2222), "localhost", localPort), context);
        forward.Start();
        Assert.Equal(2222, forward.LocalEndPoint!.Port);

        await using var peer = await network.Far.ConnectAsync(new IPEndPoint(ProxyTestNetwork.Proxy4, 2222), ct);
        await peer.WriteAsync("from the peer"u8.ToArray(), ct);
        peer.ShutdownWrite();
        var answer = new MemoryStream();
        await peer.CopyToAsync(answer, ct);
        Assert.Equal("local saw: from the peer", Encoding.ASCII.GetString(answer.ToArray()));
        await serving;
        await forward.DisposeAsync();
        var counters = context.Counters.All().Single();
        Assert.Equal(13, counters.BytesIn);
        Assert.Equal(24, counters.BytesOut);
    }

    [Fact]
    public async Task ARemoteTcpForwardToALocalServiceThatRefusesResetsThePeerAndCounts()
    {
        var ct = ProxyTestNetwork.Deadline();
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(Loopback);
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port; // bound, never listening: connections are refused
            var context = network.Context();
            await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.RemoteTcpForward, new IPEndPoint(ProxyTestNetwork.Proxy4, 2224), "127.0.0.1", closedPort), context);
            forward.Start();
            await using var peer = await network.Far.ConnectAsync(new IPEndPoint(ProxyTestNetwork.Proxy4, 2224), ct);
            var error = await Assert.ThrowsAsync<IOException>(async () => _ = await peer.ReadAsync(new byte[1], ct));
            Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
            Assert.Equal(1, context.Counters.All().Single().Refused);
        }
    }

    [Fact]
    public async Task ARemoteTcpForwardOverMaxClientsResetsTheNewPeerAndCounts()
    {
        var ct = ProxyTestNetwork.Deadline();
        using var local = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        local.Bind(Loopback);
        local.Listen();
        var context = network.Context(new ProxyLimits { MaxClients = 1 });
        var localPort = ((IPEndPoint)local.LocalEndPoint!).Port;
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.RemoteTcpForward, new IPEndPoint(ProxyTestNetwork.Proxy4, 2225), "127.0.0.1", localPort), context);
        forward.Start();

        // The first peer holds the one slot (its local connection accepted and kept open)...
        await using var first = await network.Far.ConnectAsync(new IPEndPoint(ProxyTestNetwork.Proxy4, 2225), ct);
        using var firstLocal = await local.AcceptAsync(ct);
        // ...so the second is reset at once and counted, and never reaches the local service.
        await using var second = await network.Far.ConnectAsync(new IPEndPoint(ProxyTestNetwork.Proxy4, 2225), ct);
        var error = await Assert.ThrowsAsync<IOException>(async () => _ = await second.ReadAsync(new byte[1], ct));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        var counters = context.Counters.All().Single();
        Assert.Equal(1, counters.Refused);
        Assert.Equal(1, counters.Opened);

        // The first still works.
        await first.WriteAsync("still here"u8.ToArray(), ct);
        var got = new byte[10];
        int have = 0;
        while (have < got.Length) have += await firstLocal.ReceiveAsync(got.AsMemory(have), SocketFlags.None, ct);
        Assert.Equal("still here", Encoding.ASCII.GetString(got));
    }

    [Fact]
    public async Task DisposingATcpForwardClosesItsClients()
    {
        var ct = ProxyTestNetwork.Deadline();
        var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.TcpForward, Loopback, "10.97.0.2", ProxyTestNetwork.EchoPort), network.Context());
        forward.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(forward.LocalEndPoint!, ct);
        await client.SendAsync("x"u8.ToArray(), SocketFlags.None, ct);
        Assert.Equal(1, await client.ReceiveAsync(new byte[1], SocketFlags.None, ct));
        await forward.DisposeAsync();
        Assert.Equal("", await ReadToEndAsync(client, ct));
    }

    [Fact]
    public async Task AForwardOnATunnelAddressNotOursFailsToStartWithOneLine()
    {
        var spec = new ProxyServiceSpec(ProxyServiceKind.RemoteTcpForward, new IPEndPoint(ProxyTestNetwork.Far4, 2223), "127.0.0.1", 22);
        await using var forward = ProxyServices.Create(spec, network.Context());
        var error = Assert.Throws<ProxyStartException>(forward.Start);
        Assert.Equal("10.97.0.2:2223: not an address of the tunnel interface", error.Message);
    }

    [Fact]
    public async Task AUdpForwardGivesEachClientItsOwnFlowBothWays()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.UdpForward, Loopback, "svc.test", ProxyTestNetwork.EchoPort), context);
        forward.Start();
        using var one = UdpClientSocket();
        using var two = UdpClientSocket();
        Assert.Equal("one", await RoundTripAsync(one, forward.LocalEndPoint!, "one", ct));
        Assert.Equal("two", await RoundTripAsync(two, forward.LocalEndPoint!, "two", ct));
        Assert.Equal("one again", await RoundTripAsync(one, forward.LocalEndPoint!, "one again", ct));
        Assert.Equal(2, ((UdpForward)forward).Flows.Count);
        await forward.DisposeAsync(); // a datagram is counted after it is sent: read the counters once all is done
        var counters = context.Counters.All().Single();
        Assert.Equal(0, counters.Active);
        Assert.Equal(2, counters.Opened);
        Assert.Equal(15, counters.BytesIn);
        Assert.Equal(15, counters.BytesOut);
    }

    [Fact]
    public async Task AFullUdpFlowTableRefusesNewClientsAndIdleFlowsExpire()
    {
        var ct = ProxyTestNetwork.Deadline();
        var clock = new ManualClock();
        var context = network.Context(new ProxyLimits { MaxUdpFlows = 1, UdpFlowIdle = TimeSpan.FromSeconds(30) });
        var spec = new ProxyServiceSpec(ProxyServiceKind.UdpForward, Loopback, "10.97.0.2", ProxyTestNetwork.EchoPort);
        await using var forward = new UdpForward(spec, context) { Time = clock };
        forward.Start();
        using var one = UdpClientSocket();
        using var two = UdpClientSocket();
        Assert.Equal("first", await RoundTripAsync(one, forward.LocalEndPoint!, "first", ct));

        var counters = context.Counters.All().Single();
        await two.SendToAsync("refused"u8.ToArray(), forward.LocalEndPoint!, ct);
        while (Interlocked.Read(ref counters.Refused) == 0) await Task.Delay(10, ct);
        Assert.Equal(1, forward.Flows.Count);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, forward.Flows.ExpireIdle());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, forward.Flows.ExpireIdle());
        Assert.Equal(0, forward.Flows.Count);
        Assert.Equal(0, counters.Active);

        Assert.Equal("now me", await RoundTripAsync(two, forward.LocalEndPoint!, "now me", ct));
        Assert.Equal(2, counters.Opened);
    }

    [Fact]
    public async Task ARemoteUdpForwardLetsPeersReachALocalUdpService()
    {
        var ct = ProxyTestNetwork.Deadline();
        using var service = UdpClientSocket();
        var servicePort = ((IPEndPoint)service.LocalEndPoint!).Port;
        var echoing = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            for (int i = 0; i < 2; i++)
            {
                var from = new IPEndPoint(IPAddress.Any, 0);
                var received = await service.ReceiveFromAsync(buffer, from, ct);
                await service.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, ct);
            }
        }, ct);
        var context = network.Context();
        await using var forward = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.RemoteUdpForward, new IPEndPoint(IPAddress.Any, 5353), "127.0.0.1", servicePort), context);
        forward.Start();

        foreach (var address in new[] { ProxyTestNetwork.Proxy4, ProxyTestNetwork.Proxy6 })
        {
            using var peer = network.Far.BindUdp();
            await peer.SendToAsync("peer datagram"u8.ToArray(), new IPEndPoint(address, 5353), ct);
            var buffer = new byte[100];
            var reply = await peer.ReceiveFromAsync(buffer, ct);
            Assert.Equal("peer datagram", Encoding.ASCII.GetString(buffer, 0, reply.ReceivedBytes));
        }
        await echoing;
        Assert.Equal(2, ((RemoteUdpForward)forward).Flows.Count);
    }

    [Fact]
    public async Task AUdpForwardOnAPortInUseFailsToStartWithOneLine()
    {
        using var taken = UdpClientSocket();
        var spec = new ProxyServiceSpec(ProxyServiceKind.UdpForward, (IPEndPoint)taken.LocalEndPoint!, "10.97.0.2", 7);
        await using var forward = ProxyServices.Create(spec, network.Context());
        var error = Assert.Throws<ProxyStartException>(forward.Start);
        Assert.Equal($"{taken.LocalEndPoint}: address already in use", error.Message);
    }

    private static Socket UdpClientSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(Loopback);
        return socket;
    }

    private static async Task<string> RoundTripAsync(Socket socket, IPEndPoint to, string text, CancellationToken ct)
    {
        await socket.SendToAsync(Encoding.ASCII.GetBytes(text), to, ct);
        var buffer = new byte[1500];
        int n = await socket.ReceiveAsync(buffer, ct);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    private static async Task<string> ReadToEndAsync(Socket socket, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try { n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { n = 0; }
            if (n == 0) return Encoding.ASCII.GetString(received.ToArray());
            received.Write(buffer, 0, n);
        }
    }
}
