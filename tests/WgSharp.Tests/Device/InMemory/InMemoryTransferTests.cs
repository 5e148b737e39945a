using System.Net;
using WgSharp.Device;
using Xunit.Abstractions;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>Two devices back to back through the in-memory seams, moving bulk traffic both ways at once.</summary>
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
    /// direction in exactly the order it was sent, across the change of session keys.
    /// </summary>
    [Fact]
    public void HundredMegabytesEachWayArriveInOrderAcrossARekey()
    {
        var options = new DeviceOptions { TimeScale = 30 };
        using var pair = new InMemoryPair(options, options);
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
        Assert.Equal(0, pair.A.Device.Counters.StagedDropped + pair.B.Device.Counters.StagedDropped);
        Assert.Equal(0, pair.A.Device.Counters.SendErrors + pair.B.Device.Counters.SendErrors);
        // Each 64 KiB batch went to its peer as one send call, not one call per packet.
        Assert.True(pair.A.Host.OpenTransports.Single().MultiDatagramSends > 0);
        output.WriteLine($"A: {pair.A.Device.Counters}");
        output.WriteLine($"B: {pair.B.Device.Counters}");
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
            Assert.True(DaemonWait.Until(() => Received >= Sent, timeout), $"{this}: {Sent - Received} packets lost");

        public override string ToString() => $"{from.InnerAddress} -> {to.InnerAddress}";
    }
}
