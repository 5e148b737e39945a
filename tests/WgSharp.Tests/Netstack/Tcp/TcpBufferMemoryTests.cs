using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack.Tcp;

/// <summary>
/// Issue 18's "no GC during a 1 GB transfer": a connection's buffers come from native slabs (ChunkPool) and its tables
/// from native blocks, so even its first megabytes make no garbage; the pool is bounded, reuses what comes back and
/// frees what an idle stack no longer needs.
/// </summary>
public unsafe class TcpBufferMemoryTests
{
    private static long Move(TcpWire wire, TcpConnection sender, TcpConnection receiver, byte[] source, byte[] sink, long bytes)
    {
        long sent = 0, got = 0;
        int stuck = 0;
        while (got < bytes && stuck < 10_000)
        {
            long before = sent + got;
            // The application writes as fast as the buffer takes it, so the send buffer (and the receive buffer
            // behind it) fill up to their capacity and the buffers use every slot of their rings.
            int n;
            while (sent < bytes && (n = sender.Send(source.AsSpan(0, (int)Math.Min(source.Length, bytes - sent)))) > 0) sent += n;
            wire.Pump();
            int r;
            while ((r = receiver.Receive(sink)) > 0) got += r;
            wire.Pump();
            if (sent + got == before) { stuck++; wire.AdvanceToNextTimer(100); }
        }
        return got; // checked by the caller after measuring (an xunit assertion allocates)
    }

    [Fact]
    public void FirstTransferOfANewConnection_AllocatesNothing()
    {
        var wire = new TcpWire();
        var source = new byte[64 * 1024];
        var sink = new byte[64 * 1024];
        // Warm up the code and the wire on another connection: what is measured is the new connection's first use of
        // its buffers, send scoreboard and tables (measured on this thread: other tests run in parallel).
        var (warmClient, warmServer, _) = wire.Connect();
        Move(wire, warmClient, warmServer, source, sink, 4 << 20);
        Move(wire, warmServer, warmClient, source, sink, 4 << 20);

        // Three new connections, the fewest bytes counted: a process-wide one-off that may land in one window (a
        // shared lock's first contention with a test running in parallel creates its wait event) is not the
        // connection's; a connection that allocates does so in every window.
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            var (client, server, _) = wire.Connect(port: (ushort)(81 + round));
            long before = GC.GetAllocatedBytesForCurrentThread();
            long up = Move(wire, client, server, source, sink, 16 << 20);
            long down = Move(wire, server, client, source, sink, 16 << 20);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);

            Assert.Equal(16 << 20, up);
            Assert.Equal(16 << 20, down);
            Assert.True(client.IsEstablished && server.IsEstablished);
        }
        Assert.Equal(0, fewest);
    }

    [Fact]
    public void ChunkPool_CapsItsSlabs_OverflowsOneByOne_AndFreesWhollyFreeSlabsPastItsReserve()
    {
        var pool = new ChunkPool(maxSlabs: 2, keepFreeSlabs: 1);
        int count = 2 * ChunkPool.ChunksPerSlab + 3;
        var chunks = new nint[count];
        for (int i = 0; i < count; i++)
        {
            byte* chunk = pool.Rent();
            new Span<byte>(chunk, ChunkPool.ChunkSize).Fill((byte)i);
            chunks[i] = (nint)chunk;
        }
        Assert.Equal(2, pool.Slabs);
        Assert.Equal(3, pool.OverflowChunksOut);
        Assert.Equal(count, pool.ChunksOut);
        // No two chunks overlap: each still holds what was written to it.
        for (int i = 0; i < count; i++)
            Assert.True(new ReadOnlySpan<byte>((byte*)chunks[i], ChunkPool.ChunkSize).IndexOfAnyExcept((byte)i) < 0);

        foreach (var chunk in chunks) pool.Return((byte*)chunk);
        Assert.Equal(0, pool.ChunksOut);
        Assert.Equal(0, pool.OverflowChunksOut);
        Assert.Equal(1, pool.Slabs); // the reserve: one wholly free slab kept, the other freed

        // What came back is reused: a slab's worth of chunks takes no new slab.
        for (int i = 0; i < ChunkPool.ChunksPerSlab; i++) chunks[i] = (nint)pool.Rent();
        Assert.Equal(1, pool.Slabs);
        for (int i = 0; i < ChunkPool.ChunksPerSlab; i++) pool.Return((byte*)chunks[i]);
        Assert.Equal(0, pool.ChunksOut);
    }

    [Fact]
    public void ChunkedBuffer_GivesEveryChunkBackToItsPool_WhenItEmpties()
    {
        var pool = new ChunkPool(maxSlabs: 4, keepFreeSlabs: 0);
        var buffer = new ChunkedBuffer(1 << 20, pool);
        var data = new byte[1 << 20];
        new Random(3).NextBytes(data);
        buffer.Write(500_000, data.AsSpan(500_000)); // out of order first, as a receive buffer sees it
        buffer.Write(0, data.AsSpan(0, 500_000));
        Assert.Equal(64, pool.ChunksOut);
        var copy = new byte[1 << 20];
        buffer.Read(0, copy);
        Assert.Equal(data, copy);
        buffer.Consume(300_000);
        Assert.True(pool.ChunksOut < 64);
        buffer.Read(0, copy.AsSpan(0, 100));
        Assert.Equal(data.AsSpan(300_000, 100).ToArray(), copy[..100]);
        buffer.Consume((1 << 20) - 300_000);
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.Equal(0, pool.ChunksOut);
        Assert.Equal(0, pool.Slabs); // no reserve asked for: an emptied slab is freed at once
    }

    [Fact]
    public void ChunkedBuffer_RefusesAWritePastItsCapacity()
    {
        var pool = new ChunkPool(maxSlabs: 1, keepFreeSlabs: 0);
        var buffer = new ChunkedBuffer(100_000, pool);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Write(99_990, new byte[11]));
        Assert.Equal(0, pool.ChunksOut);
    }

    [Fact]
    public void AnAbandonedBuffer_GivesItsChunksBack_WhenCollected()
    {
        var pool = new ChunkPool(maxSlabs: 1, keepFreeSlabs: 0);
        FillAndDrop(pool);
        Assert.Equal(3, pool.ChunksOut);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(0, pool.ChunksOut);
        Assert.Equal(0, pool.Slabs);
    }

    // Not inlined: the buffer must be unreachable once this returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void FillAndDrop(ChunkPool pool) => new ChunkedBuffer(100_000, pool).Append(new byte[40_000]);
}
