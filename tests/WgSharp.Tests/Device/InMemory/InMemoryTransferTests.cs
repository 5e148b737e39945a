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
    /// With a pool of several threads, 64 KiB runs are sealed on more than one thread. The first sealing thread
    /// is held (bounded by the hang guard) until another thread has sealed a run, so the outcome does not
    /// depend on how fast either one is.
    /// </summary>
    [Fact]
    public void SealingRunsOnMoreThanOneThread()
    {
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        using var another = new ManualResetEventSlim();
        int firstThread = 0;
        void Observe()
        {
            int id = Environment.CurrentManagedThreadId;
            threads.TryAdd(id, true);
            if (Interlocked.CompareExchange(ref firstThread, id, 0) == 0) another.Wait(HangGuard);
            else if (id != Volatile.Read(ref firstThread)) another.Set();
        }
        var options = new DeviceOptions { CryptoThreads = 4, SealObserver = Observe };
        using var pair = new InMemoryPair(options, new DeviceOptions { CryptoThreads = 4 });
        var aToB = new Direction(pair.A, pair.B, stream: 1);
        pair.B.Tunnel.OnWrite = aToB.Arrived;
        aToB.SendBatch(); // staged until the first handshake completes
        WaitFor(() => pair.A.PeerFor(pair.B).Protocol.Keypairs.Current, "the first handshake");

        var sender = new Thread(() => aToB.SendUntil(4 * 1024 * 1024, () => true)) { Name = "inject" };
        sender.Start();
        Assert.True(sender.Join(HangGuard), "the sender hung");
        aToB.WaitUntilAllArrived(HangGuard);

        output.WriteLine($"sealing threads: {threads.Count}");
        Assert.True(another.IsSet, "no second thread sealed while the first was held");
        Assert.True(threads.Count >= 2);
        Assert.Null(aToB.FirstViolation);
    }

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
