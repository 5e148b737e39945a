using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Socks5;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Proxy;

/// <summary>Many clients through one proxy at once, every byte intact (megabytes through real devices: the serial collection).</summary>
[Collection(NetnsCollection.Name)]
public sealed class ConcurrentProxyTests : IDisposable
{
    private readonly ProxyTestNetwork _network = new();

    public void Dispose() => _network.Dispose();

    [Fact]
    public async Task FiftySocks5ClientsAtOnceEachGetTheirOwnBytesBack()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;
        var context = _network.Context();
        await using (var service = ProxyServices.Create(new ProxyServiceSpec(ProxyServiceKind.Socks5, new IPEndPoint(IPAddress.Loopback, 0)), context))
        {
            service.Start();
            var clients = Enumerable.Range(0, 50).Select(_ => Task.Run(() => EchoThroughAsync(service.LocalEndPoint!, ct), ct));
            await Task.WhenAll(clients);
        }
        Assert.Empty(_network.ServerFaults);
        var counters = context.Counters.All().Single();
        Assert.Equal(50, counters.Opened);
        Assert.Equal(0, counters.Active);
        Assert.Equal(50L * Size, counters.BytesIn);
        Assert.Equal(50L * Size, counters.BytesOut);
    }

    private const int Size = 256 * 1024;

    private async Task EchoThroughAsync(IPEndPoint proxy, CancellationToken ct)
    {
        using var client = await Socks5TestClient.OpenAsync(proxy, ct);
        Assert.Equal(0, await client.NegotiateAsync(ct));
        var (reply, _) = await client.RequestAsync(Socks5Protocol.CommandConnect, new IPEndPoint(ProxyTestNetwork.Far4, ProxyTestNetwork.EchoPort), ct);
        Assert.Equal(0, reply);
        var upload = RandomNumberGenerator.GetBytes(Size);
        var sending = Task.Run(async () =>
        {
            await client.Socket.SendAsync(upload, SocketFlags.None, ct);
            client.Socket.Shutdown(SocketShutdown.Send);
        }, ct);
        var echoed = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await client.Socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0) echoed.Write(buffer, 0, n);
        await sending;
        Assert.True(echoed.Length == Size, $"echoed {echoed.Length} of {Size} bytes; far side faults: {string.Join(" | ", _network.ServerFaults)}");
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(echoed.ToArray()));
    }
}
