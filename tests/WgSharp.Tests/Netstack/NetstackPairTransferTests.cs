using WgSharp.Tests.Integration.Infrastructure;
using System.Security.Cryptography;
using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack;

/// <summary>TCP between two stacks wired back to back, each direction on its own thread: the layers under real concurrency.</summary>
[Collection(NetnsCollection.Name)] // 8 MB transfers on real threads: never beside the time-scaled device tests
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
        var (client, server) = await ConnectAsync(pair, timeout.Token);

        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = SendAllAsync(client, data, 100_000, client.ShutdownSend, timeout.Token);
        var got = await ReceiveToEndAsync(server, 70_000, timeout.Token);
        await send;

        AssertSame(data, got);
    }

    /// <summary>
    /// 1 packet in 7 dropped (each direction counted on its own, so the pattern does not depend on thread timing): 8 MB
    /// and the FIN arrive. This once stalled with the sender in FIN_WAIT_1 retransmitting hundreds of times.
    /// </summary>
    [Fact]
    public async Task OneInSevenDropped_EightMegabytesAndTheFinArrive()
    {
        int seenA = 0, seenB = 0;
        using var pair = new NetstackPair(filter: (fromA, packet) => (fromA ? ++seenA : ++seenB) % 7 != 0);
        using var timeout = new CancellationTokenSource(HangGuard);
        var (client, server) = await ConnectAsync(pair, timeout.Token);

        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = SendAllAsync(client, data, 100_000, client.ShutdownSend, timeout.Token);
        byte[] got;
        try { got = await ReceiveToEndAsync(server, 70_000, timeout.Token); }
        catch (OperationCanceledException)
        {
            Assert.Fail($"stalled: client {client.DebugState()}; server {server.DebugState()}; retransmits {pair.A.Counters[WgSharp.Netstack.NetstackCounter.TcpRetransmits]}");
            throw;
        }
        await send;

        AssertSame(data, got);
    }

    [Fact]
    public async Task DataBeforeAFinThatEndsInTimeWaitIsStillReadIntact()
    {
        using var pair = new NetstackPair();
        using var timeout = new CancellationTokenSource(HangGuard);
        var (client, server) = await ConnectAsync(pair, timeout.Token);
        client.ShutdownSend();
        Assert.Empty(await ReceiveToEndAsync(server, 1, timeout.Token));

        // The server's FIN comes right after its data and moves the client to TIME_WAIT before the client reads it.
        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = SendAllAsync(server, data, 1 << 20, server.Close, timeout.Token);
        var got = await ReceiveToEndAsync(client, 64 * 1024, timeout.Token);
        await send;

        AssertSame(data, got);
    }

    private static async Task<(TcpConnection Client, TcpConnection Server)> ConnectAsync(NetstackPair pair, CancellationToken cancellationToken)
    {
        var listener = pair.B.Tcp.Listen(NetstackPair.Endpoint(NetstackPair.AddressB4, 7000), 8);
        var client = pair.A.Tcp.Connect(NetstackPair.Endpoint(NetstackPair.AddressA4, 0), NetstackPair.Endpoint(NetstackPair.AddressB4, 7000));
        while (!client.IsEstablished) await client.ConnectSignal.WaitAsync(cancellationToken);
        TcpConnection? server;
        while ((server = listener.TryAccept()) is null) await listener.AcceptSignal.WaitAsync(cancellationToken);
        return (client, server);
    }

    private static Task SendAllAsync(TcpConnection connection, byte[] data, int piece, Action then, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        int sent = 0;
        while (sent < data.Length)
        {
            int n = connection.Send(data.AsSpan(sent, Math.Min(piece, data.Length - sent)));
            if (n == -1) { await connection.SendSignal.WaitAsync(cancellationToken); continue; }
            Assert.True(n > 0, $"send failed: {connection.Error}");
            sent += n;
        }
        then();
    }, cancellationToken);

    private static async Task<byte[]> ReceiveToEndAsync(TcpConnection connection, int bufferSize, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[bufferSize];
        while (true)
        {
            int n = connection.Receive(buffer);
            if (n == -1) { await connection.ReceiveSignal.WaitAsync(cancellationToken); continue; }
            Assert.True(n >= 0, $"receive failed: {connection.Error}");
            if (n == 0) return received.ToArray();
            received.Write(buffer, 0, n);
        }
    }

    private static void AssertSame(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int firstDifference = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(firstDifference == expected.Length, $"the bytes differ from offset {firstDifference} on");
    }
}
