using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack.Tcp;

public class TcpResourceTests
{
    private static void Move(TcpWire wire, TcpConnection sender, TcpConnection receiver, byte[] source, byte[] sink, long bytes)
    {
        long sent = 0, got = 0;
        int stuck = 0;
        while (got < bytes && stuck < 10_000)
        {
            long before = sent + got;
            if (sent < bytes)
            {
                int n = sender.Send(source.AsSpan(0, (int)Math.Min(source.Length, bytes - sent)));
                if (n > 0) sent += n;
            }
            wire.Pump();
            int r;
            while ((r = receiver.Receive(sink)) > 0) got += r;
            wire.Pump();
            if (sent + got == before) { stuck++; wire.AdvanceToNextTimer(100); }
        }
    }

    [Fact]
    public void SteadyStateTransfer_AllocatesNothing()
    {
        var wire = new TcpWire();
        var (client, server, _) = wire.Connect();
        var source = new byte[64 * 1024];
        var sink = new byte[64 * 1024];
        Move(wire, client, server, source, sink, 8 << 20); // warm-up: buffers, pools, tables grow
        Move(wire, server, client, source, sink, 2 << 20);
        long fewest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Move(wire, client, server, source, sink, 4 << 20);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
        Assert.True(client.IsEstablished && server.IsEstablished);
    }

    [Fact]
    public void ThousandIdleConnections_HoldAtMost16KiBEach()
    {
        var wire = new TcpWire();
        var listener = wire.B.Tcp.Listen(wire.B.At(80), 2000);
        // Warm up the types and the wire before measuring.
        var warm = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        Assert.NotNull(listener.TryAccept());
        var clients = new List<TcpConnection>(1000);
        var servers = new List<TcpConnection>(1000);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 1000; i++)
        {
            clients.Add(wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80)));
            wire.Pump();
            servers.Add(listener.TryAccept()!);
            clients[i].Send(new byte[100]);
            wire.Pump();
            servers[i].Receive(new byte[100]);
            wire.Pump();
        }
        wire.Advance(1000);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        long perConnection = (after - before) / 2000;
        Assert.True(perConnection <= 16 * 1024, $"{perConnection} bytes per idle connection");
        foreach (var c in clients) Assert.Equal(0, c.BufferChunksHeld);
        Assert.Equal(1001, wire.A.Tcp.ConnectionCount);
        GC.KeepAlive(servers);
        GC.KeepAlive(warm);
    }

    [Fact]
    public void TenMegabytes_WithLossAndReordering_Intact()
    {
        var wire = new TcpWire(seed: 77) { LossRate = 0.005, ReorderRate = 0.02 };
        var (client, server, _) = wire.Connect();
        var data = new byte[10 << 20];
        new Random(10).NextBytes(data);
        Assert.Equal(data, wire.Transfer(client, server, data));
        Assert.True(wire.A.Counters[WgSharp.Netstack.NetstackCounter.TcpRetransmits] > 0);
    }
}

public class TcpRecoveryTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneLostSegment_IsRepairedByFastRetransmit_WithoutWaitingForTheRto(bool sack)
    {
        var wire = new TcpWire(new TcpSettings { Sack = sack });
        var (client, server, _) = wire.Connect();
        Assert.Equal(sack, client.SackEnabled);
        int dataPackets = 0;
        wire.DropFilter = (toB, packet, length) => toB && length > 1000 && ++dataPackets == 5;
        var data = new byte[200_000];
        new Random(4).NextBytes(data);
        long start = wire.Clock.NowMs;
        Assert.Equal(data, wire.Transfer(client, server, data));
        Assert.Equal(1, wire.A.Counters[WgSharp.Netstack.NetstackCounter.TcpRetransmits]);
        Assert.True(wire.Clock.NowMs - start < 200, $"took {wire.Clock.NowMs - start} ms: the RTO fired");
    }

    [Fact]
    public void ListenerOnUnspecifiedAddress_AcceptsAnyLocalAddress()
    {
        var wire = new TcpWire();
        var listener = wire.B.Tcp.Listen(WgSharp.Device.IO.UdpEndpoint.Create(new byte[4], 8080), 4);
        var client = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(8080));
        wire.Pump();
        Assert.True(client.IsEstablished);
        var server = listener.TryAccept();
        Assert.NotNull(server);
        Assert.Equal(wire.B.At(8080), server!.LocalEndPoint);
        Assert.Throws<System.Net.Sockets.SocketException>(() => wire.B.Tcp.Listen(WgSharp.Device.IO.UdpEndpoint.Create(new byte[4], 8080), 4));
        listener.Close();
        Assert.True(listener.IsClosed);
        Assert.Null(listener.TryAccept());
    }
}
