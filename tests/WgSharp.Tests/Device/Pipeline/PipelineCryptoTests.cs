using System.Buffers.Binary;
using WgSharp.Device.Pipeline;
using WgSharp.Protocol;
using WgSharp.Protocol.Transport;
using WgSharp.Tests.Protocol;

namespace WgSharp.Tests.Device.Pipeline;

/// <summary>
/// The real transport crypto through the pool: A seals batches in parallel under counters reserved in
/// order, B opens them in parallel and applies the replay window in order, with a rekey in the middle.
/// </summary>
public class PipelineCryptoTests
{
    private const int PacketsPerBatch = 20;

    /// <summary>Packets of one peer travelling together: sealed in place, then opened in place.</summary>
    private sealed class WireBatch
    {
        public readonly byte[][] Buffers = Enumerable.Range(0, PacketsPerBatch).Select(_ => new byte[1600]).ToArray();
        public readonly int[] Lengths = new int[PacketsPerBatch];
        public readonly ulong[] Counters = new ulong[PacketsPerBatch];
        public readonly Keypair?[] Keypairs = new Keypair?[PacketsPerBatch];
        public readonly bool[] Opened = new bool[PacketsPerBatch];
        public SendReservation Reservation;
        public int Count;
    }

    private sealed class SealWork(Func<WireBatch, bool> transmit) : IOrderedWork<WireBatch>
    {
        public void Process(WireBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var buffer = batch.Buffers[i];
                batch.Lengths[i] = batch.Reservation.Seal(i, buffer.AsSpan(MessageLayout.DataPayload, batch.Lengths[i]), buffer, ProtocolHarness.Mtu);
            }
        }

        public void Deliver(WireBatch batch) => Assert.True(transmit(batch));
        public void Discard(WireBatch batch) => Assert.Fail("nothing may be discarded");
    }

    private sealed class OpenWork(HarnessSide receiver, FakeClock clock) : IOrderedWork<WireBatch>
    {
        public readonly List<byte[]> Received = [];

        public void Process(WireBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var message = batch.Buffers[i].AsSpan(0, batch.Lengths[i]);
                batch.Opened[i] = batch.Keypairs[i]!.Open(batch.Counters[i], message[MessageLayout.DataPayload..], message[MessageLayout.DataPayload..]);
            }
        }

        public void Deliver(WireBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Assert.True(batch.Opened[i]);
                var keypair = batch.Keypairs[i]!;
                Assert.True(keypair.AcceptCounter(batch.Counters[i])); // replay window, in order
                receiver.Peer.OnTransportReceived(receiver.Engine, keypair, isKeepalive: false, clock.Now);
                lock (Received) Received.Add(batch.Buffers[i].AsSpan(MessageLayout.DataPayload, batch.Lengths[i] - MessageLayout.MinTransportSize).ToArray());
            }
        }

        public void Discard(WireBatch batch) => Assert.Fail("nothing may be discarded");
    }

    private static int PacketLength(int sequence) => sequence % 3 == 0 ? 100 : 1400; // both AEAD backends' sizes

    private static void WritePacket(Span<byte> packet, int sequence)
    {
        BinaryPrimitives.WriteInt32LittleEndian(packet, sequence);
        for (int j = 4; j < packet.Length; j++) packet[j] = (byte)(sequence * 31 + j);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Sealed_and_opened_in_parallel_arrive_whole_and_in_order_across_a_rekey(int threads)
    {
        const int batches = 300;
        var harness = new ProtocolHarness();
        harness.CompleteHandshake(harness.A);
        // The receive queue can hold every batch: this test is about crypto and order, not about dropping.
        using var pool = new CryptoPool(new CryptoPoolOptions { Threads = threads, InlineBelowCost = 0, PeerQueueCapacity = batches });
        var open = new OpenWork(harness.B, harness.Clock);
        var receiveQueue = new OrderedQueue<WireBatch>(pool, open);

        // The wire: B's reader looks each datagram up (index, expiry) and queues the batch for opening.
        bool Transmit(WireBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var lookup = harness.B.Engine.LookupTransport(batch.Buffers[i].AsSpan(0, batch.Lengths[i]), harness.Clock.Now, out batch.Counters[i]);
                Assert.True(lookup.IsOk, lookup.Reason.ToString());
                batch.Keypairs[i] = lookup.Keypair;
            }
            return receiveQueue.TrySubmit(batch, cost: batch.Count * 1400);
        }
        var sendQueue = new OrderedQueue<WireBatch>(pool, new SealWork(Transmit));
        var sendLock = new object();
        var firstKeypair = harness.A.Peer.Keypairs.Current;

        int sequence = 0;
        for (int b = 0; b < batches; b++)
        {
            if (b == batches / 2)
            {
                // Rekey while earlier batches are in flight (past the initiation rate limit first).
                harness.Clock.Advance(ProtocolConstants.RekeyTimeout + TimeSpan.FromSeconds(1));
                harness.CompleteHandshake(harness.A);
            }
            var batch = new WireBatch { Count = PacketsPerBatch };
            for (int i = 0; i < batch.Count; i++, sequence++)
            {
                batch.Lengths[i] = PacketLength(sequence);
                WritePacket(batch.Buffers[i].AsSpan(MessageLayout.DataPayload, batch.Lengths[i]), sequence);
            }
            lock (sendLock) // the device's SendLock: counters reserved in the order batches are queued
            {
                Assert.True(harness.A.Peer.TryReserveSend(batch.Count, harness.Clock.Now, out batch.Reservation, out _));
                while (!sendQueue.TrySubmit(batch, cost: batch.Count * 1400)) Thread.Yield();
            }
        }
        // A failed assertion inside the work is caught by the pool as a fault: stop waiting on the first one.
        CryptoPoolTests.WaitUntil(() => { lock (open.Received) return open.Received.Count == sequence || pool.Faults > 0; });
        Assert.Equal(0, pool.Faults);

        Assert.NotSame(firstKeypair, harness.A.Peer.Keypairs.Current);
        for (int s = 0; s < sequence; s++)
        {
            var expected = new byte[PacketLength(s)];
            WritePacket(expected, s);
            var received = open.Received[s];
            Assert.Equal(expected, received[..expected.Length]); // in order, intact
            Assert.All(received[expected.Length..], b => Assert.Equal(0, b)); // padding only
        }
        Assert.Equal(0, pool.Faults);
    }

    [Fact]
    public void A_reservation_seals_the_counters_it_took_in_any_order()
    {
        var harness = new ProtocolHarness();
        harness.CompleteHandshake(harness.A);
        Assert.True(harness.A.Peer.TryReserveSend(3, harness.Clock.Now, out var run, out bool rekey));
        Assert.False(rekey);
        var messages = new byte[3][];
        foreach (int i in new[] { 2, 0, 1 }) // sealed out of order
        {
            messages[i] = new byte[MessageLayout.TransportMessageSize(16)];
            Assert.Equal(messages[i].Length, run.Seal(i, [(byte)i], messages[i], ProtocolHarness.Mtu));
        }
        var after = harness.SealOrFail(harness.A, [9]); // the next counter follows the run
        for (int i = 0; i < 3; i++)
        {
            var received = harness.Receive(harness.B, messages[i]);
            Assert.True(received.IsOk);
            Assert.Equal((byte)i, received.Plaintext[0]);
            Assert.Equal(run.FirstCounter + (ulong)i, BinaryPrimitives.ReadUInt64LittleEndian(messages[i].AsSpan(MessageLayout.DataCounter)));
        }
        Assert.Equal(run.FirstCounter + 3, BinaryPrimitives.ReadUInt64LittleEndian(after.AsSpan(MessageLayout.DataCounter)));
        Assert.Equal(RejectReason.ReplayedCounter, harness.Receive(harness.B, messages[1]).Result.Reason);
    }

    [Fact]
    public void A_reservation_whose_keypair_is_wiped_seals_nothing()
    {
        var harness = new ProtocolHarness();
        harness.CompleteHandshake(harness.A);
        Assert.True(harness.A.Peer.TryReserveSend(2, harness.Clock.Now, out var run, out _));
        harness.A.Peer.ZeroAllKeys(harness.A.Engine);
        var message = new byte[MessageLayout.TransportMessageSize(16)];
        Assert.Equal(0, run.Seal(0, [1, 2, 3], message, ProtocolHarness.Mtu));
        Assert.All(message, b => Assert.Equal(0, b));
        Assert.False(harness.A.Peer.TryReserveSend(1, harness.Clock.Now, out _, out bool rekey));
        Assert.True(rekey);
    }

    [Fact]
    public void A_run_that_would_reach_the_message_limit_is_refused_whole()
    {
        var harness = new ProtocolHarness();
        harness.CompleteHandshake(harness.A);
        ProtocolHarness.SetSendCounter(harness.A.Peer.Keypairs.Current!, ProtocolConstants.RejectAfterMessages - 2);
        Assert.False(harness.A.Peer.TryReserveSend(3, harness.Clock.Now, out _, out bool rekey));
        Assert.True(rekey);
    }
}
