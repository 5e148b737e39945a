using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Socks5;
using WgSharp.Tests.Device;

namespace WgSharp.Tests.Proxy;

public sealed class Socks5ServerTests(ProxyTestNetwork network) : IClassFixture<ProxyTestNetwork>
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    private static IProxyService Start(ProxyContext context)
    {
        var service = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.Socks5, Loopback), context);
        service.Start();
        return service;
    }

    private static async Task<Socks5TestClient> ConnectedClientAsync(IProxyService service, EndPoint destination, CancellationToken ct)
    {
        var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await client.NegotiateAsync(ct));
        var (reply, _) = await client.RequestAsync(Socks5Protocol.CommandConnect, destination, ct);
        Assert.Equal(Socks5Protocol.ReplySucceeded, reply);
        return client;
    }

    private static async Task AssertEchoesAsync(Socks5TestClient client, string text, CancellationToken ct)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(text), ct);
        Assert.Equal(text, Encoding.ASCII.GetString(await client.ReceiveAsync(text.Length, ct)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectToAnAddressRelaysBothWaysAndCounts(bool ipv6)
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using (var service = Start(context))
        {
            using var client = await ConnectedClientAsync(service, new IPEndPoint(ipv6 ? ProxyTestNetwork.Far6 : ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
            await AssertEchoesAsync(client, "hello through the tunnel", ct);
            client.Socket.Shutdown(SocketShutdown.Send); // half-close: the echo server sees the end and closes its side
            Assert.True(await client.ClosedAsync(ct));
        }
        var counters = context.Counters.All().Single();
        Assert.Equal("socks5 127.0.0.1:0", counters.Service);
        Assert.Equal(1, counters.Opened);
        Assert.Equal(0, counters.Active);
        Assert.Equal(0, counters.Refused);
        Assert.Equal(24, counters.BytesIn);
        Assert.Equal(24, counters.BytesOut);
    }

    [Fact]
    public async Task ConnectToANameResolvesItThroughTheTunnel()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        int queriesBefore = network.DnsQueries;
        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"socks5://{service.LocalEndPoint}"), UseProxy = true });
        // A name nobody asked before, so no cache answers it: the far side's DNS server must.
        var body = await http.GetStringAsync($"http://socks5-connect.{ProxyTestNetwork.FarName}/through/socks", ct);
        Assert.StartsWith("GET /through/socks HTTP/1.1", body);
        Assert.True(network.DnsQueries > queriesBefore, "the name was resolved by the far side's DNS server");
    }

    [Theory]
    [InlineData("10.97.0.2", 9, Socks5Protocol.ReplyConnectionRefused)]
    [InlineData("10.200.0.1", 80, Socks5Protocol.ReplyNetworkUnreachable)]
    [InlineData("nothing.test", 80, Socks5Protocol.ReplyHostUnreachable)]
    [InlineData("svc.test", 0, Socks5Protocol.ReplyGeneralFailure)]
    public async Task ATargetThatCannotBeReachedGetsItsReply(string host, int port, byte expected)
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var service = Start(context);
        using var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await client.NegotiateAsync(ct));
        EndPoint destination = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        var (reply, _) = await client.RequestAsync(Socks5Protocol.CommandConnect, destination, ct);
        Assert.Equal(expected, reply);
        Assert.True(await client.ClosedAsync(ct));
        Assert.Equal(1, context.Counters.All().Single().Refused);
    }

    [Theory]
    [InlineData(Socks5Protocol.CommandBind)]
    [InlineData(9)]
    public async Task BindAndUnknownCommandsAreRefusedWithCommandNotSupported(byte command)
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await client.NegotiateAsync(ct));
        var (reply, _) = await client.RequestAsync(command, new IPEndPoint(ProxyTestNetwork.Far4, 80), ct);
        Assert.Equal(Socks5Protocol.ReplyCommandNotSupported, reply);
        Assert.True(await client.ClosedAsync(ct));
    }

    [Fact]
    public async Task AnUnknownAddressTypeIsRefusedWithItsReply()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await client.NegotiateAsync(ct));
        await client.SendAsync([5, 1, 0, 7, 1, 2, 3, 4, 0, 80], ct);
        var reply = await client.ReceiveAsync(10, ct);
        Assert.Equal(Socks5Protocol.ReplyAddressTypeNotSupported, reply[1]);
        Assert.True(await client.ClosedAsync(ct));
    }

    [Fact]
    public async Task WithCredentialsOnlyUsernamePasswordIsAcceptedAndChecked()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context(credentials: new ProxyCredentials("alice", "s3cret"));
        await using var service = Start(context);

        using (var good = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            Assert.Equal(2, await good.NegotiateAsync(ct, "alice", "s3cret"));
            var (reply, _) = await good.RequestAsync(Socks5Protocol.CommandConnect, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
            Assert.Equal(0, reply);
            await AssertEchoesAsync(good, "authenticated", ct);
        }
        using (var wrong = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            Assert.Equal(0xfd, await wrong.NegotiateAsync(ct, "alice", "s3cres"));
            Assert.True(await wrong.ClosedAsync(ct));
        }
        using (var noAuth = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            Assert.Equal(Socks5Protocol.MethodNoneAcceptable, await noAuth.NegotiateAsync(ct));
            Assert.True(await noAuth.ClosedAsync(ct));
        }
        Assert.Equal(2, context.Counters.All().Single().Refused);
        Assert.DoesNotContain("s3cre", ((CapturingLogger)context.Logger).Text);
    }

    [Fact]
    public async Task WithoutCredentialsAClientOfferingOnlyUsernamePasswordGetsNoAcceptableMethod()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        await client.SendAsync([5, 1, 2], ct);
        Assert.Equal(new byte[] { 5, 0xff }, await client.ReceiveAsync(2, ct));
        Assert.True(await client.ClosedAsync(ct));
    }

    [Fact]
    public async Task AWrongProtocolClientIsClosedAndOthersKeepBeingServed()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var service = Start(context);
        using var working = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);

        using (var http = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            await http.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), ct);
            Assert.True(await http.ClosedAsync(ct));
        }
        using (var truncated = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            await truncated.SendAsync([5, 3, 0], ct); // three methods announced, one sent
            truncated.Socket.Shutdown(SocketShutdown.Send);
            Assert.True(await truncated.ClosedAsync(ct));
        }
        await AssertEchoesAsync(working, "still here", ct);
        using var another = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        await AssertEchoesAsync(another, "and a new one", ct);
        Assert.Equal(2, context.Counters.All().Single().Refused);
    }

    [Fact]
    public async Task AClientSilentPastTheHandshakeTimeoutIsClosed()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context(new ProxyLimits { HandshakeTimeout = TimeSpan.FromMilliseconds(200) }));
        using var client = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        await client.SendAsync([5, 1], ct);
        Assert.True(await client.ClosedAsync(ct));
    }

    [Fact]
    public async Task OverMaxClientsANewClientIsClosedAtOnceAndCounted()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context(new ProxyLimits { MaxClients = 1 });
        await using var service = Start(context);
        var first = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);

        using (var second = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct))
        {
            await second.SendAsync([5, 1, 0], ct);
            Assert.True(await second.ClosedAsync(ct));
        }
        Assert.Equal(1, context.Counters.All().Single().Refused);

        first.Dispose();
        var counters = context.Counters.All().Single();
        while (Interlocked.Read(ref counters.Active) > 0) await Task.Delay(10, ct); // the slot is freed once the relay has ended
        using var third = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        await AssertEchoesAsync(third, "a free slot", ct);
    }

    /// <summary>
    /// Clients that connect and never finish their handshake (a slowloris flood) must not lock honest clients out for the
    /// whole handshake timeout: when every slot is taken, a newcomer takes the slot of the oldest client still in its
    /// handshake, which is closed and counted refused. Clients already relaying keep theirs (the test above).
    /// </summary>
    [Fact]
    public async Task WhenFullOfClientsStillInTheirHandshake_ANewClientTakesTheOldestsSlot()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context(new ProxyLimits { MaxClients = 2, HandshakeTimeout = TimeSpan.FromMinutes(5) });
        await using var service = Start(context);
        var counters = context.Counters.All().Single();
        using var oldest = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        while (Interlocked.Read(ref counters.Opened) < 1) await Task.Delay(10, ct);
        using var younger = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        await younger.SendAsync([5], ct); // half a greeting
        while (Interlocked.Read(ref counters.Opened) < 2) await Task.Delay(10, ct);

        using var honest = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        await AssertEchoesAsync(honest, "served while the others stall", ct);
        Assert.True(await oldest.ClosedAsync(ct));
        Assert.Equal(1, Interlocked.Read(ref counters.Refused));

        // The honest client is relaying now: a further newcomer takes the younger staller's slot, never the honest one's.
        using var another = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        Assert.True(await younger.ClosedAsync(ct));
        await AssertEchoesAsync(honest, "still served", ct);
        await AssertEchoesAsync(another, "and this one", ct);
        Assert.Equal(2, Interlocked.Read(ref counters.Refused));
    }

    [Fact]
    public async Task DisposingTheServiceClosesEveryClient()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        var service = Start(context);
        using var client = await ConnectedClientAsync(service, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        await AssertEchoesAsync(client, "before", ct);
        await service.DisposeAsync();
        Assert.True(await client.ClosedAsync(ct));
        Assert.Equal(0, context.Counters.All().Single().Active);
    }

    [Fact]
    public async Task APortInUseIsOneClearLine()
    {
        await using var first = Start(network.Context());
        var second = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.Socks5, first.LocalEndPoint!), network.Context());
        var error = Assert.Throws<ProxyStartException>(second.Start);
        Assert.Equal($"{first.LocalEndPoint}: address already in use", error.Message);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task UdpAssociateRelaysDatagramsToAddressesAndNamesAndOnlyForItsClient()
    {
        var ct = ProxyTestNetwork.Deadline();
        var context = network.Context();
        await using var service = Start(context);
        using var control = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await control.NegotiateAsync(ct));
        var (reply, relay) = await control.RequestAsync(Socks5Protocol.CommandUdpAssociate, new IPEndPoint(IPAddress.Any, 0), ct);
        Assert.Equal(0, reply);
        Assert.Equal(IPAddress.Loopback, relay.Address);

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var echo = new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort);
        var buffer = new byte[2048];

        await udp.SendToAsync(Datagram(echo, "by address"), relay, ct);
        int n = await udp.ReceiveAsync(buffer, ct);
        Assert.Equal([.. Socks5TestClient.Address(echo)], buffer[3..10]); // the header names the sender
        Assert.Equal("by address", Encoding.ASCII.GetString(buffer, 10, n - 10));

        byte[] fragment = [0, 0, 1, .. Socks5TestClient.Address(echo), .. "a fragment"u8.ToArray()];
        await udp.SendToAsync(fragment, relay, ct); // FRAG 1: dropped
        using (var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await stranger.SendToAsync(Datagram(echo, "from a stranger"), relay, ct); // not the client's port: dropped
        }
        await udp.SendToAsync(Datagram(new DnsEndPoint(ProxyTestNetwork.FarName, ProxyTestNetwork.EchoPort), "by name"), relay, ct);
        n = await udp.ReceiveAsync(buffer, ct);
        Assert.Equal("by name", Encoding.ASCII.GetString(buffer, 10, n - 10)); // the first reply: the fragment and the stranger went nowhere

        var counters = context.Counters.All().Single();
        control.Dispose(); // the association ends with its control connection
        while (Interlocked.Read(ref counters.Active) > 0) await Task.Delay(10, ct);
        Assert.Equal(17, counters.BytesIn); // counted once the association has ended: a datagram is counted after it is sent
        Assert.Equal(17, counters.BytesOut);
    }

    [Fact]
    public async Task ManyUdpDatagramsMakeTheRoundTrip()
    {
        var ct = ProxyTestNetwork.Deadline();
        await using var service = Start(network.Context());
        using var control = await Socks5TestClient.OpenAsync(service.LocalEndPoint!, ct);
        Assert.Equal(0, await control.NegotiateAsync(ct));
        var (_, relay) = await control.RequestAsync(Socks5Protocol.CommandUdpAssociate, new IPEndPoint(IPAddress.Any, 0), ct);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var echo = new IPEndPoint(ProxyTestNetwork.Far6, ProxyTestNetwork.EchoPort);
        var buffer = new byte[2048];
        for (int i = 0; i < 200; i++)
        {
            var payload = new string((char)('a' + i % 26), 1000);
            await udp.SendToAsync(Datagram(echo, payload), relay, ct);
            int n = await udp.ReceiveAsync(buffer, ct); // the in-memory network loses nothing
            Assert.Equal(Socks5Protocol.AddressIPv6, buffer[3]);
            Assert.Equal(payload, Encoding.ASCII.GetString(buffer, 22, n - 22));
        }
    }

    private static byte[] Datagram(EndPoint destination, string payload) =>
        [0, 0, 0, .. Socks5TestClient.Address(destination), .. Encoding.ASCII.GetBytes(payload)];
}
