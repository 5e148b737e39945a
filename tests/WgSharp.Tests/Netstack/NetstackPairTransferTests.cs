using System.Security.Cryptography;
using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack;

/// <summary>TCP between two stacks wired back to back, each direction on its own thread: the layers under real concurrency.</summary>
public sealed class NetstackPairTransferTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(33)]
    public async Task BytesWrittenOnOneStackAreReadInOrderOnTheOther(int dropEvery)
    {
        int seen = 0;
        using var pair = new NetstackPair(filter: dropEvery == 0 ? null : (fromA, packet) => Interlocked.Increment(ref seen) % dropEvery != 0);
        using var timeout = new CancellationTokenSource(HangGuard);
        var listener = pair.B.Tcp.Listen(NetstackPair.Endpoint(NetstackPair.AddressB4, 7000), 8);
        var client = pair.A.Tcp.Connect(NetstackPair.Endpoint(NetstackPair.AddressA4, 0), NetstackPair.Endpoint(NetstackPair.AddressB4, 7000));
        while (!client.IsEstablished) await client.ConnectSignal.WaitAsync(timeout.Token);
        TcpConnection? server;
        while ((server = listener.TryAccept()) is null) await listener.AcceptSignal.WaitAsync(timeout.Token);

        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = Task.Run(async () =>
        {
            int sent = 0;
            while (sent < data.Length)
            {
                int n = client.Send(data.AsSpan(sent, Math.Min(100_000, data.Length - sent)));
                if (n == -1) { await client.SendSignal.WaitAsync(timeout.Token); continue; }
                Assert.True(n > 0, $"send failed: {client.Error}");
                sent += n;
            }
            client.ShutdownSend();
        });
        var received = new MemoryStream();
        var buffer = new byte[70_000];
        while (true)
        {
            int n = server.Receive(buffer);
            if (n == -1) { await server.ReceiveSignal.WaitAsync(timeout.Token); continue; }
            Assert.True(n >= 0, $"receive failed: {server.Error}");
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        await send;
        var got = received.ToArray();
        Assert.Equal(data.Length, got.Length);
        int firstDiff = Enumerable.Range(0, data.Length).FirstOrDefault(i => data[i] != got[i], -1);
        Assert.True(firstDiff < 0, $"differs first at {firstDiff}");
    }
}

public sealed class NetstackPairHalfCloseTransferTests
{
    private const int SendPiece = 1 << 20;

    [Fact]
    public async Task DataBeforeAFinThatEndsInTimeWaitIsStillReadIntact()
    {
        using var pair = new NetstackPair();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listener = pair.B.Tcp.Listen(NetstackPair.Endpoint(NetstackPair.AddressB4, 7000), 8);
        var client = pair.A.Tcp.Connect(NetstackPair.Endpoint(NetstackPair.AddressA4, 0), NetstackPair.Endpoint(NetstackPair.AddressB4, 7000));
        while (!client.IsEstablished) await client.ConnectSignal.WaitAsync(timeout.Token);
        TcpConnection? server;
        while ((server = listener.TryAccept()) is null) await listener.AcceptSignal.WaitAsync(timeout.Token);
        client.ShutdownSend();
        var one = new byte[1];
        int r;
        while ((r = server.Receive(one)) == -1) await server.ReceiveSignal.WaitAsync(timeout.Token);
        Assert.Equal(0, r);

        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = Task.Run(async () =>
        {
            int sent = 0;
            while (sent < data.Length)
            {
                int n = server.Send(data.AsSpan(sent, Math.Min(SendPiece, data.Length - sent)));
                if (n == -1) { await server.SendSignal.WaitAsync(timeout.Token); continue; }
                Assert.True(n > 0, $"send failed: {server.Error}");
                sent += n;
            }
            server.Close();
        });
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n = client.Receive(buffer);
            if (n == -1) { await client.ReceiveSignal.WaitAsync(timeout.Token); continue; }
            Assert.True(n >= 0, $"receive failed: {client.Error}");
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        await send;
        var got = received.ToArray();
        Assert.Equal(data.Length, got.Length);
        int firstDiff = Enumerable.Range(0, data.Length).FirstOrDefault(i => data[i] != got[i], -1);
        if (firstDiff >= 0)
        {
            int zeros = 0;
            while (firstDiff + zeros < got.Length && got[firstDiff + zeros] == 0) zeros++;
            int match = firstDiff + zeros + 32 <= got.Length ? data.AsSpan().IndexOf(got.AsSpan(firstDiff + zeros, 32)) : -2;
            string counters = string.Join(",", WgSharp.Netstack.NetstackCounters.All.Select(c => $"{c}={pair.A.Counters[c]}/{pair.B.Counters[c]}").Where(t => !t.EndsWith("=0/0")));
            Assert.Fail($"differs first at {firstDiff}, {zeros} zeros, then data from {match}; counters A/B: {counters}");
        }
    }
}
