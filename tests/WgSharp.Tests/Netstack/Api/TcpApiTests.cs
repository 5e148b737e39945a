using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WgSharp.Tests.Netstack.Api;

public class TcpApiTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectAcceptExchangeHalfCloseAndEnd(bool ipv6)
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7000);
        var accepting = listener.AcceptAsync(ct);
        await using var client = await pair.A.ConnectAsync(new IPEndPoint(ipv6 ? ApiPair.B6 : ApiPair.B4, 7000), ct);
        await using var server = await accepting;

        Assert.Equal(new IPEndPoint(ipv6 ? ApiPair.B6 : ApiPair.B4, 7000), client.RemoteEndPoint);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        Assert.Equal(client.RemoteEndPoint, server.LocalEndPoint);

        await client.WriteAsync("hello"u8.ToArray(), ct);
        Assert.Equal("hello", await ReadExactly(server, 5, ct));
        await server.WriteAsync("world"u8.ToArray(), ct);
        Assert.Equal("world", await ReadExactly(client, 5, ct));

        client.ShutdownWrite();
        Assert.Equal(0, await server.ReadAsync(new byte[16], ct)); // the FIN
        await server.WriteAsync("after"u8.ToArray(), ct); // half-closed: the other way still works
        Assert.Equal("after", await ReadExactly(client, 5, ct));
        await Assert.ThrowsAsync<IOException>(async () => await client.WriteAsync("x"u8.ToArray(), ct));

        await server.DisposeAsync();
        Assert.Equal(0, await client.ReadAsync(new byte[16], ct));
    }

    [Fact]
    public async Task AMegabyteEachWayArrivesIntactWithSyncAndAsyncCalls()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7001);
        var accepting = listener.AcceptAsync(ct);
        using var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7001), ct);
        using var server = await accepting;
        var data = RandomNumberGenerator.GetBytes(1 << 20);

        // Client writes synchronously (blocking on a full buffer) while the server reads asynchronously; then the reverse.
        var writing = Task.Run(() => client.Write(data, 0, data.Length), ct);
        var received = new byte[data.Length];
        await server.ReadExactlyAsync(received, ct);
        await writing;
        Assert.Equal(data, received);

        var echo = Task.Run(async () => { await server.WriteAsync(data, ct); server.ShutdownWrite(); }, ct);
        var back = new MemoryStream();
        var buffer = new byte[3000];
        int n;
        while ((n = await Task.Run(() => client.Read(buffer, 0, buffer.Length), ct)) > 0) back.Write(buffer, 0, n);
        await echo;
        Assert.Equal(data, back.ToArray());
    }

    [Fact]
    public async Task AZeroByteReadWaitsForDataWithoutLosingAByte()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7002);
        var accepting = listener.AcceptAsync(ct);
        using var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7002), ct);
        using var server = await accepting;

        var waiting = server.ReadAsync(Memory<byte>.Empty, ct);
        Assert.False(waiting.IsCompleted); // nothing sent yet
        await client.WriteAsync("abc"u8.ToArray(), ct);
        Assert.Equal(0, await waiting);
        Assert.Equal(0, await server.ReadAsync(Memory<byte>.Empty, ct)); // still readable: returns at once
        Assert.Equal("abc", await ReadExactly(server, 3, ct));
    }

    [Fact]
    public async Task AClosedPortRefuses()
    {
        using var pair = new ApiPair();
        var error = await Assert.ThrowsAsync<SocketException>(() => pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7999), ApiPair.Deadline()));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task NoRouteIsNetworkUnreachableAtOnce()
    {
        using var pair = new ApiPair();
        pair.Stacks.A.Routes = _ => false;
        var error = await Assert.ThrowsAsync<SocketException>(() => pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 80), ApiPair.Deadline()));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
        Assert.Equal(0, pair.Stacks.A.Tcp.ConnectionCount);
    }

    [Fact]
    public async Task CancellingAConnectAbortsIt()
    {
        using var pair = new ApiPair(filter: (fromA, _) => !fromA); // A's SYNs are lost
        using var cancel = new CancellationTokenSource();
        var connecting = pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 80), cancel.Token);
        Assert.False(connecting.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
        Assert.Equal(0, pair.Stacks.A.Tcp.ConnectionCount);
    }

    [Fact]
    public async Task BadArgumentsAreRefusedBeforeAnythingIsSent()
    {
        using var pair = new ApiPair();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => pair.A.ConnectAsync(new UnixDomainSocketEndPoint("/tmp/x")));
        var unspecified = await Assert.ThrowsAsync<SocketException>(() => pair.A.ConnectAsync(new IPEndPoint(IPAddress.Any, 80)));
        Assert.Equal(SocketError.AddressNotAvailable, unspecified.SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.A.Listen(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.A.Listen(80, backlog: 0));
        var notOurs = Assert.Throws<SocketException>(() => pair.A.Listen(new IPEndPoint(ApiPair.B4, 80)));
        Assert.Equal(SocketError.AddressNotAvailable, notOurs.SocketErrorCode);
        Assert.Equal(0, pair.Stacks.A.Tcp.ConnectionCount);
    }

    [Fact]
    public async Task ATakenPortIsAddressAlreadyInUse()
    {
        using var pair = new ApiPair();
        using var first = pair.B.Listen(7003);
        var error = Assert.Throws<SocketException>(() => pair.B.Listen(7003));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        first.Dispose();
        using var again = pair.B.Listen(new IPEndPoint(ApiPair.B6, 7003)); // free again once disposed
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ListenerDisposalEndsWaitingAndLaterAccepts()
    {
        using var pair = new ApiPair();
        var listener = pair.B.Listen(7004);
        var waiting = listener.AcceptAsync(ApiPair.Deadline());
        var second = listener.AcceptAsync(ApiPair.Deadline()); // several accepts may wait at once
        Assert.False(waiting.IsCompleted);
        await listener.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await second);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync());
        var refused = await Assert.ThrowsAsync<SocketException>(() => pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7004), ApiPair.Deadline()));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task AListenerOnEveryAddressAcceptsBothFamilies()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7005);
        using var v4 = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7005), ct);
        using var v6 = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B6, 7005), ct);
        using var first = await listener.AcceptAsync(ct);
        using var second = await listener.AcceptAsync(ct);
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6],
            new[] { first.LocalEndPoint.AddressFamily, second.LocalEndPoint.AddressFamily }.Order());
    }

    [Fact]
    public async Task AStreamAbortedByThePeerFailsWithAnIOExceptionAroundTheSocketError()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7006);
        var accepting = listener.AcceptAsync(ct);
        using var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7006), ct);
        var server = await accepting;
        var reading = client.ReadAsync(new byte[10], ct);
        server.Abort();
        var error = await Assert.ThrowsAsync<IOException>(async () => await reading);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task DisposingAStreamEndsAWaitingReadAndLaterCalls()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7007);
        var accepting = listener.AcceptAsync(ct);
        var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7007), ct);
        using var server = await accepting;
        var reading = client.ReadAsync(new byte[10], ct);
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await reading);
        Assert.Throws<ObjectDisposedException>(() => client.Write([1]));
        Assert.False(client.CanRead);
        Assert.Equal(0, await server.ReadAsync(new byte[10], ct)); // the FIN of the close
    }

    [Fact]
    public async Task ReadsAndWritesThatCompleteAtOnceAllocateNothing()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7008);
        var accepting = listener.AcceptAsync(ct);
        using var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7008), ct);
        using var server = await accepting;
        var chunk = new byte[100];
        var buffer = new byte[100];
        await client.WriteAsync(chunk, ct);
        await ReadExactly(server, 100, ct);

        long fewest = long.MaxValue;
        int synchronousReads = 0;
        for (int window = 0; window < 3; window++)
        {
            long allocated = 0;
            for (int i = 0; i < 20; i++) allocated += WriteMeasured(client, chunk);
            for (int received = 0; received < 2000;)
            {
                var (bytes, cost) = ReadMeasured(server, buffer);
                if (cost >= 0)
                {
                    allocated += cost;
                    synchronousReads++;
                }
                received += bytes;
            }
            fewest = Math.Min(fewest, allocated);
        }
        Assert.True(synchronousReads > 0);
        Assert.Equal(0, fewest);
    }

    /// <summary>A write with room in the send buffer completes at once: what it allocated.</summary>
    private static long WriteMeasured(TunnelStream stream, byte[] chunk)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var write = stream.WriteAsync(chunk);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(write.IsCompletedSuccessfully);
        return allocated;
    }

    /// <summary>One read: its bytes, and what it allocated when it completed at once (-1 when it had to wait: not measured).</summary>
    private static (int Bytes, long Allocated) ReadMeasured(TunnelStream stream, byte[] buffer)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var read = stream.ReadAsync(buffer);
        if (read.IsCompleted)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return (read.GetAwaiter().GetResult(), allocated);
        }
        return (read.AsTask().GetAwaiter().GetResult(), -1);
    }

    internal static async Task<string> ReadExactly(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return Encoding.ASCII.GetString(buffer);
    }

    private static async Task<byte[]> ReadToEnd(Stream stream, CancellationToken ct)
    {
        var all = new MemoryStream();
        var buffer = new byte[5000];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    [Fact]
    public async Task DataReceivedAfterOurShutdownWriteArrivesIntact()
    {
        using var pair = new ApiPair();
        var ct = ApiPair.Deadline();
        using var listener = pair.B.Listen(7009);
        var accepting = listener.AcceptAsync(ct);
        using var client = await pair.A.ConnectAsync(new IPEndPoint(ApiPair.B4, 7009), ct);
        using var server = await accepting;
        client.ShutdownWrite();
        Assert.Equal(0, await server.ReadAsync(new byte[1], ct));
        var data = RandomNumberGenerator.GetBytes(1000);
        await server.WriteAsync(data, ct);
        server.ShutdownWrite();
        Assert.Equal(data, await ReadToEnd(client, ct));
    }
}
