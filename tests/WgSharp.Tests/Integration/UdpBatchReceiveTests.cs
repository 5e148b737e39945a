using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

/// <summary>
/// UdpTransport.ReceiveBatch on loopback, through UDP GRO (offloads on; the sender's UDP GSO sends arrive
/// as one super-buffer) and through recvmmsg (offloads off): the same datagrams, sizes and senders either way.
/// </summary>
public class UdpBatchReceiveTests
{
    private const int Stride = 2048;
    private const int Slots = 64;

    private static UdpEndpoint Loopback(UdpFamily family, ushort port) =>
        UdpEndpoint.FromIPEndPoint(new IPEndPoint(family == UdpFamily.IPv4 ? IPAddress.Loopback : IPAddress.IPv6Loopback, port));

    private static UdpEndpoint SourceOf(UdpTransport sender, UdpFamily family) => Loopback(family, sender.Port);

    /// <summary>A datagram that says who sent it and its number, padded to <paramref name="length"/>.</summary>
    private static byte[] Datagram(int sender, int sequence, int length)
    {
        var data = new byte[length];
        data[0] = (byte)sender;
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(1), sequence);
        for (int i = 5; i < length; i++) data[i] = (byte)(sequence + i);
        return data;
    }

    private sealed record Received(byte[] Data, UdpEndpoint Source);

    /// <summary>
    /// Calls ReceiveBatch until <paramref name="count"/> datagrams are in; a watchdog disposes the transport
    /// (so the call returns -1 and the test fails) if they never come.
    /// </summary>
    private static List<Received> ReceiveAll(UdpTransport receiver, UdpFamily family, int count, int slots = Slots, int stride = Stride, List<int>? batchSizes = null)
    {
        var buffers = new byte[slots * stride];
        var lengths = new int[slots];
        var sources = new UdpEndpoint[slots];
        var result = new List<Received>();
        using var watchdog = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        while (result.Count < count)
        {
            int n = receiver.ReceiveBatch(family, buffers, stride, lengths, sources);
            Assert.True(n > 0, $"ReceiveBatch returned {n} after {result.Count} of {count} datagrams");
            Assert.True(n <= slots);
            batchSizes?.Add(n);
            for (int i = 0; i < n; i++)
                result.Add(new Received(buffers.AsSpan(i * stride, lengths[i]).ToArray(), sources[i]));
        }
        return result;
    }

    /// <summary>Binds a receiver and makes its first ReceiveBatch call, which switches GRO on before the test sends.</summary>
    private static UdpTransport Receiver(UdpFamily family, bool offloads, UdpTransport primer)
    {
        var receiver = new UdpTransport { Offloads = offloads };
        receiver.Bind(0);
        Assert.Equal(SocketError.Success, primer.TrySend(Datagram(9, 0, 8), Loopback(family, receiver.Port)));
        Assert.Equal(8, ReceiveAll(receiver, family, 1).Single().Data.Length);
        Assert.Equal(offloads, receiver.UsesGro(family)); // kernel >= 5.0 has UDP GRO
        return receiver;
    }

    private static UdpTransport Sender(bool offloads = true)
    {
        var sender = new UdpTransport { Offloads = offloads };
        sender.Bind(0);
        return sender;
    }

    [Theory]
    [InlineData((int)UdpFamily.IPv4, true)]
    [InlineData((int)UdpFamily.IPv6, true)]
    [InlineData((int)UdpFamily.IPv4, false)]
    [InlineData((int)UdpFamily.IPv6, false)]
    public void ARunOfEqualDatagramsArrivesSplitWithSizesAndSource(int familyNumber, bool offloads)
    {
        var family = (UdpFamily)familyNumber;
        using var sender = Sender();
        using var receiver = Receiver(family, offloads, sender);
        // 20 datagrams of 1200 bytes and a shorter last one, sent with UDP GSO in one system call.
        var expected = Enumerable.Range(0, 21).Select(i => Datagram(1, i, i < 20 ? 1200 : 700)).ToArray();
        Assert.Equal(SocketError.Success, sender.TrySendSegments(expected.SelectMany(d => d).ToArray(), 1200, Loopback(family, receiver.Port)));

        var received = ReceiveAll(receiver, family, expected.Length);

        Assert.Equal(expected, received.Select(r => r.Data));
        Assert.All(received, r => Assert.Equal(SourceOf(sender, family), r.Source));
        // With offloads the 21 datagrams came as one super-buffer; without, each came on its own.
        Assert.Equal(offloads, receiver.CoalescedReceives > 0);
    }

    [Fact]
    public void ASenderWithOffloadsOffSendsEachDatagramOnItsOwn()
    {
        using var sender = Sender(offloads: false);
        using var receiver = Receiver(UdpFamily.IPv4, offloads: true, sender);
        var expected = Enumerable.Range(0, 10).Select(i => Datagram(1, i, 1000)).ToArray();
        Assert.Equal(SocketError.Success, sender.TrySendSegments(expected.SelectMany(d => d).ToArray(), 1000, Loopback(UdpFamily.IPv4, receiver.Port)));

        var received = ReceiveAll(receiver, UdpFamily.IPv4, expected.Length);

        Assert.Equal(expected, received.Select(r => r.Data));
        Assert.Equal(0, receiver.CoalescedReceives); // no UDP GSO send, so nothing for GRO to keep together on loopback
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ARunLongerThanTheSlotsIsHandedOutOverSeveralCalls(bool offloads)
    {
        using var sender = Sender();
        using var receiver = Receiver(UdpFamily.IPv4, offloads, sender);
        var expected = Enumerable.Range(0, 30).Select(i => Datagram(1, i, 1000)).ToArray();
        Assert.Equal(SocketError.Success, sender.TrySendSegments(expected.SelectMany(d => d).ToArray(), 1000, Loopback(UdpFamily.IPv4, receiver.Port)));

        var batches = new List<int>();
        var received = ReceiveAll(receiver, UdpFamily.IPv4, expected.Length, slots: 4, batchSizes: batches);

        Assert.Equal(expected, received.Select(r => r.Data));
        Assert.All(batches, n => Assert.InRange(n, 1, 4));
    }

    [Theory]
    [InlineData((int)UdpFamily.IPv4, true)]
    [InlineData((int)UdpFamily.IPv6, false)]
    [InlineData((int)UdpFamily.IPv6, true)]
    [InlineData((int)UdpFamily.IPv4, false)]
    public void MixedSizesFromTwoInterleavedSendersKeepTheirSourcesAndOrder(int familyNumber, bool offloads)
    {
        var family = (UdpFamily)familyNumber;
        using var first = Sender();
        using var second = Sender();
        using var receiver = Receiver(family, offloads, first);
        var to = Loopback(family, receiver.Port);
        var sizes = new[] { 60, 1420, 148, 1, 2000, 32, 1280, 92 };
        var sent = new List<(int Sender, byte[] Data)>();
        for (int i = 0; i < 200; i++)
        {
            int who = i % 3 == 0 ? 2 : 1; // unevenly interleaved
            var data = Datagram(who, i, Math.Max(5, sizes[i % sizes.Length]));
            Assert.Equal(SocketError.Success, (who == 1 ? first : second).TrySend(data, to));
            sent.Add((who, data));
        }

        var received = ReceiveAll(receiver, family, sent.Count);

        foreach (var who in new[] { 1, 2 })
        {
            var source = SourceOf(who == 1 ? first : second, family);
            Assert.Equal(sent.Where(s => s.Sender == who).Select(s => s.Data), received.Where(r => r.Data[0] == who).Select(r => r.Data));
            Assert.All(received.Where(r => r.Data[0] == who), r => Assert.Equal(source, r.Source));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DatagramsLongerThanTheStrideAndEmptyOnesAreDroppedAndTheNextOnesArrive(bool offloads)
    {
        using var sender = Sender();
        using var receiver = Receiver(UdpFamily.IPv4, offloads, sender);
        var to = Loopback(UdpFamily.IPv4, receiver.Port);
        const int stride = 512;
        // A GSO run of oversized datagrams, a lone oversized one, an empty one, then datagrams that fit.
        Assert.Equal(SocketError.Success, sender.TrySendSegments(new byte[8 * 1000], 1000, to));
        Assert.Equal(SocketError.Success, sender.TrySend(Datagram(1, 1, 3000), to));
        Assert.Equal(SocketError.Success, sender.TrySend(ReadOnlySpan<byte>.Empty, to));
        var fitting = Enumerable.Range(2, 5).Select(i => Datagram(1, i, 80 * i)).ToArray();
        foreach (var data in fitting)
            Assert.Equal(SocketError.Success, sender.TrySend(data, to));

        var received = ReceiveAll(receiver, UdpFamily.IPv4, fitting.Length, stride: stride);

        Assert.Equal(fitting, received.Select(r => r.Data));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DisposeWakesABlockedBatchReader(bool offloads)
    {
        using var primer = Sender();
        var receiver = Receiver(UdpFamily.IPv4, offloads, primer);
        var results = new int[2];
        var readers = new[] { UdpFamily.IPv4, UdpFamily.IPv6 }.Select(family => new Thread(() =>
            results[(int)family] = receiver.ReceiveBatch(family, new byte[Stride * 4], Stride, new int[4], new UdpEndpoint[4]))).ToArray();
        foreach (var reader in readers)
            reader.Start();
        Thread.Sleep(100); // let them block

        receiver.Dispose();

        foreach (var reader in readers)
            Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "reader still blocked after Dispose");
        Assert.Equal(new[] { -1, -1 }, results);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABlockedBatchReaderFollowsARebind(bool offloads)
    {
        using var sender = Sender();
        using var receiver = Receiver(UdpFamily.IPv4, offloads, sender);
        List<Received>? received = null;
        var reader = new Thread(() => received = ReceiveAll(receiver, UdpFamily.IPv4, 3));
        reader.Start();
        Thread.Sleep(100); // let it block on the old socket

        var newPort = receiver.Rebind(0);
        var expected = Enumerable.Range(0, 3).Select(i => Datagram(1, i, 500)).ToArray();
        Assert.Equal(SocketError.Success, sender.TrySendSegments(expected.SelectMany(d => d).ToArray(), 500, Loopback(UdpFamily.IPv4, newPort)));

        Assert.True(reader.Join(TimeSpan.FromSeconds(15)), "reader did not follow the rebind");
        Assert.Equal(expected, received!.Select(r => r.Data));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReceiveBatchDoesNotAllocate(bool offloads)
    {
        using var sender = Sender();
        using var receiver = Receiver(UdpFamily.IPv4, offloads, sender);
        var to = Loopback(UdpFamily.IPv4, receiver.Port);
        var run = new byte[16 * 1200];
        var buffers = new byte[Slots * Stride];
        var lengths = new int[Slots];
        var sources = new UdpEndpoint[Slots];

        void Round()
        {
            if (sender.TrySendSegments(run, 1200, to) != SocketError.Success)
                throw new InvalidOperationException("send failed");
            for (int got = 0; got < 16;)
            {
                int n = receiver.ReceiveBatch(UdpFamily.IPv4, buffers, Stride, lengths, sources);
                if (n <= 0) throw new InvalidOperationException("receive failed");
                got += n;
            }
        }

        for (int i = 0; i < 100; i++)
            Round(); // warm up: JIT, the sender's thread-static address
        // 16,000 datagrams per window: any per-call allocation would be kilobytes in every window.
        long fewest = Allocations.FewestPerWindow(3, 1_000, _ => Round());
        Assert.True(fewest < 1024, $"{fewest} bytes allocated in 1,000 rounds");
    }
}
