using WgSharp.Cli.Daemon;
using WgSharp.Tests.Integration.Infrastructure;
using System.Net;
using WgSharp.Device;
using Xunit.Abstractions;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>Two devices back to back through the in-memory seams, moving bulk traffic both ways at once.</summary>
[Collection(NetnsCollection.Name)] // its protocol time runs 30x: starved of CPU by tests beside it, the session expired mid-transfer (CI, twice)
public class InMemoryTransferTests(ITestOutputHelper output)
{
    private const long HundredMegabytes = 100L * 1024 * 1024;
    private const int PacketSize = 1420;                           // an MTU-sized inner packet
    private const int PacketsPerBatch = 65536 / PacketSize;        // 64 KiB worth, as a TSO burst would bring
    private const int Window = 4096;                               // packets in flight per direction (flow control, not a timing)
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);

    /// <summary>
    /// 100 MB each way in 64 KiB batches of MTU-sized packets, sequence-numbered, with time running 30x so
    /// the initiator's REKEY_AFTER_TIME (120 s) passes during the transfer: every packet arrives, each
    /// direction in exactly the order it was sent, across the change of session keys. With one crypto thread
    /// everything runs inline on the readers; with more, runs are sealed and opened on the pool's workers
    /// out of order and put back in order per peer.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void HundredMegabytesEachWayArriveInOrderAcrossARekey(int cryptoThreads)
    {
        var options = new DeviceOptions { TimeProvider = new ScaledTimeProvider(30), CryptoThreads = cryptoThreads };
        using var pair = new InMemoryPair(options, options);
        Assert.Equal(cryptoThreads, pair.A.Device.CryptoThreads);
        var aToB = new Direction(pair.A, pair.B, stream: 1);
        var bToA = new Direction(pair.B, pair.A, stream: 2);
        pair.B.Tunnel.OnWrite = aToB.Arrived;
        pair.A.Tunnel.OnWrite = bToA.Arrived;

        // A starts the session, so A is its initiator and rekeys after REKEY_AFTER_TIME.
        aToB.SendBatch();
        var firstSession = WaitFor(() => pair.A.PeerFor(pair.B).Protocol.Keypairs.Current, "the first handshake");
        bool Rekeyed() => !ReferenceEquals(pair.A.PeerFor(pair.B).Protocol.Keypairs.Current, firstSession);

        var senders = new[] { aToB, bToA }.Select(d => new Thread(() => d.SendUntil(HundredMegabytes, Rekeyed)) { Name = "inject" }).ToArray();
        foreach (var t in senders) t.Start();
        foreach (var t in senders) Assert.True(t.Join(HangGuard), "a sender hung");
        foreach (var d in new[] { aToB, bToA }) d.WaitUntilAllArrived(HangGuard);

        Assert.True(Rekeyed(), "the session was rekeyed during the transfer");
        foreach (var d in new[] { aToB, bToA })
        {
            output.WriteLine($"{d}: sent {d.Sent} packets, received {d.Received}");
            Assert.Null(d.FirstViolation);
            Assert.Equal(d.Sent, d.Received);
            Assert.True(d.Sent * (PacketSize - TestPackets.HeaderLength) >= HundredMegabytes);
        }
        Assert.Equal(0, pair.A.Device.Counters[Counter.StagedDropped] + pair.B.Device.Counters[Counter.StagedDropped]);
        Assert.Equal(0, pair.A.Device.Counters[Counter.SendErrors] + pair.B.Device.Counters[Counter.SendErrors]);
        // Each 64 KiB batch went to its peer as one send call, not one call per packet.
        Assert.True(pair.A.Host.OpenTransports.Single().MultiDatagramSends > 0);
        output.WriteLine($"A: {pair.A.Device.Counters}");
        output.WriteLine($"B: {pair.B.Device.Counters}");
    }

    /// <summary>
    /// With a pool of several threads, 64 KiB runs are sealed on more than one thread, seen from outside the device:
    /// A sends one way to two peers (B and C), and the network holds the first thread that sends A's sealed data
    /// (bounded by the hang guard) until another thread has sent some. A peer's runs leave from the thread that
    /// sealed the one at its queue's head and one at a time, so while the first thread waits only another thread
    /// can seal and send the other peer's runs: with sealing on one thread nothing more is sent and the test fails.
    /// </summary>
    [Fact]
    public void SealingRunsOnMoreThanOneThread() => AssertSealingOnMoreThanOneThread(cryptoThreads: 4, HangGuard);

    /// <summary>
    /// The observation above can fail: with one crypto thread the tunnel reader seals everything inline, and while
    /// the network holds it no other thread sends A's data. The hold is short here: no amount of waiting helps.
    /// </summary>
    [Fact]
    public void WithOneCryptoThreadTheSealingCheckFails()
    {
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertSealingOnMoreThanOneThread(cryptoThreads: 1, TimeSpan.FromSeconds(2)));
        Assert.Contains("no second thread", failure.Message);
    }

    private void AssertSealingOnMoreThanOneThread(int cryptoThreads, TimeSpan hold)
    {
        // B and C open inline (one crypto thread each): A's pool does nothing but seal.
        using var pair = new InMemoryPair(new DeviceOptions { CryptoThreads = cryptoThreads }, new DeviceOptions { CryptoThreads = 1 });
        using var c = new InMemoryDevice(pair.Network, "192.0.2.3", "10.0.0.3", new DeviceOptions { CryptoThreads = 1 });
        pair.A.SetPeer(c, "10.0.0.3/32");
        c.SetPeer(pair.A, InMemoryPair.InnerA + "/32");
        c.Start();
        var toB = new Direction(pair.A, pair.B, stream: 1);
        var toC = new Direction(pair.A, c, stream: 2);
        pair.B.Tunnel.OnWrite = toB.Arrived;
        c.Tunnel.OnWrite = toC.Arrived;
        toB.SendBatch(); // staged until each first handshake completes
        toC.SendBatch();
        WaitFor(() => pair.A.PeerFor(pair.B).Protocol.Keypairs.Current, "handshake with B");
        WaitFor(() => pair.A.PeerFor(c).Protocol.Keypairs.Current, "handshake with C");
        toB.WaitUntilAllArrived(HangGuard);
        toC.WaitUntilAllArrived(HangGuard);

        // The network calls its filter on the sending thread: it sees which thread sent each of A's sealed packets.
        var senders = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        using var another = new ManualResetEventSlim();
        var fromA = pair.A.Endpoint;
        int firstSender = 0;
        pair.Network.Filter = (from, _, datagram) =>
        {
            if (!from.Equals(fromA) || !IsSealedData(datagram)) return true;
            int id = Environment.CurrentManagedThreadId;
            senders.TryAdd(id, true);
            if (Interlocked.CompareExchange(ref firstSender, id, 0) == 0) another.Wait(hold);
            else if (id != Volatile.Read(ref firstSender)) another.Set();
            return true;
        };

        // Alternate batches, so runs to both peers are in flight whichever peer the first sender holds up.
        var sender = new Thread(() =>
        {
            while (toB.Sent * (PacketSize - TestPackets.HeaderLength) < 4 * 1024 * 1024)
            {
                toB.SendBatch();
                toC.SendBatch();
            }
        }) { Name = "inject" };
        sender.Start();
        Assert.True(sender.Join(HangGuard + hold), "the sender hung");
        toB.WaitUntilAllArrived(HangGuard);
        toC.WaitUntilAllArrived(HangGuard);

        output.WriteLine($"threads that sent sealed data: {senders.Count}");
        Assert.True(another.IsSet, "no second thread sealed and sent while the first was held");
        Assert.True(senders.Count >= 2);
        Assert.Null(toB.FirstViolation);
        Assert.Null(toC.FirstViolation);
    }

    /// <summary>A transport message carrying an inner packet (a keepalive is the 32-byte header and tag alone).</summary>
    private static bool IsSealedData(byte[] datagram) =>
        datagram.Length > WgSharp.Protocol.MessageLayout.MinTransportSize && datagram[0] == (byte)WgSharp.Protocol.MessageType.TransportData;

    private static T WaitFor<T>(Func<T?> value, string what) where T : class
    {
        T? result = null;
        Assert.True(DaemonWait.Until(() => (result = value()) is not null, HangGuard), $"no {what}");
        return result!;
    }

    /// <summary>One direction of the transfer: numbered packets in, checked in order out.</summary>
    private sealed class Direction(InMemoryDevice from, InMemoryDevice to, int stream)
    {
        private readonly SemaphoreSlim _window = new(Window);
        private long _nextToSend, _nextExpected, _received;

        public long Sent => Interlocked.Read(ref _nextToSend);
        public long Received => Interlocked.Read(ref _received);
        public string? FirstViolation { get; private set; }

        public void SendUntil(long payloadBytes, Func<bool> rekeyed)
        {
            // Past 100 MB, keep going until the rekey happened, so it falls inside the transfer.
            while (Sent * (PacketSize - TestPackets.HeaderLength) < payloadBytes || !rekeyed()) SendBatch();
        }

        public void SendBatch()
        {
            var batch = new byte[PacketsPerBatch][];
            for (int i = 0; i < batch.Length; i++)
            {
                if (!_window.Wait(HangGuard)) throw new TimeoutException($"{this}: packets stopped arriving");
                batch[i] = TestPackets.Tcp(from.InnerAddress, to.InnerAddress, stream, Interlocked.Increment(ref _nextToSend) - 1, PacketSize);
            }
            from.Tunnel.Inject(batch);
        }

        public void Arrived(ReadOnlySpan<byte> packet)
        {
            long sequence = TestPackets.SequenceOf(packet);
            if (FirstViolation is null && (TestPackets.StreamOf(packet) != stream || sequence != _nextExpected || packet.Length != PacketSize))
                FirstViolation = $"{this}: expected #{_nextExpected}, got stream {TestPackets.StreamOf(packet)} #{sequence} ({packet.Length} bytes)";
            _nextExpected = sequence + 1;
            Interlocked.Increment(ref _received);
            _window.Release();
        }

        public void WaitUntilAllArrived(TimeSpan timeout) =>
            Assert.True(DaemonWait.Until(() => Received >= Sent, timeout), $"{this}: {Sent - Received} packets lost; sender {from.Device.Counters}; receiver {to.Device.Counters}");

        public override string ToString() => $"{from.InnerAddress} -> {to.InnerAddress}";
    }
}
