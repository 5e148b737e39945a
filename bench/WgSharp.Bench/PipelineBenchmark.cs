using System.Diagnostics;
using WgSharp.Device.Pipeline;
using WgSharp.Protocol;
using WgSharp.Protocol.Transport;

namespace WgSharp.Bench;

/// <summary>
/// `pipeline` command: 64 KiB worth of MTU-sized packets per batch (a TCP super-packet's segments) pushed
/// through <see cref="CryptoPool"/> with the real transport crypto, for 1, 2, ... crypto threads.
/// "seal": one producer reserves counters and submits; the pool seals; delivery counts and recycles.
/// "pipeline": the sealed batch is "sent" to a second engine whose queue opens it in parallel and applies
/// the replay window in order (both sides share the pool, as two devices on one machine would share cores).
/// Reports packets/s, inner GB/s, process CPU seconds per GB and what the measured interval allocated.
/// </summary>
internal static class PipelineBenchmark
{
    private const int InnerPacket = 1420;
    private const int PacketsPerBatch = 45; // 45 x 1420 = 63,900 B: one 64 KiB super-packet's segments
    private const int BatchBytes = InnerPacket * PacketsPerBatch;
    private const int Batches = 128;

    private sealed class Batch
    {
        public readonly byte[][] Buffers = Enumerable.Range(0, PacketsPerBatch)
            .Select(_ => GC.AllocateArray<byte>(MessageLayout.TransportMessageSize(InnerPacket + 16), pinned: true)).ToArray();
        public readonly int[] Lengths = new int[PacketsPerBatch];
        public readonly ulong[] Counters = new ulong[PacketsPerBatch];
        public readonly bool[] Opened = new bool[PacketsPerBatch];
        public SendReservation Reservation;
        public Keypair? Keypair;
    }

    /// <summary>Preallocated batches; the producer waits when all are in flight (the kernel's buffers, in the device).</summary>
    private sealed class BatchPool
    {
        private readonly Stack<Batch> _free = new(Enumerable.Range(0, Batches).Select(_ => new Batch()));

        public Batch Rent()
        {
            lock (_free)
            {
                while (_free.Count == 0) Monitor.Wait(_free);
                return _free.Pop();
            }
        }

        public void Return(Batch batch)
        {
            lock (_free)
            {
                _free.Push(batch);
                Monitor.Pulse(_free);
            }
        }
    }

    private sealed class Run
    {
        public readonly BatchPool Batches = new();
        public readonly SessionPair Pair = new();
        public long Packets;
        public long Dropped;
        public OrderedQueue<Batch>? ReceiveQueue;
    }

    private sealed class SealWork(Run run, bool forward) : IOrderedWork<Batch>
    {
        public void Process(Batch batch)
        {
            for (int i = 0; i < PacketsPerBatch; i++)
            {
                var buffer = batch.Buffers[i];
                batch.Lengths[i] = batch.Reservation.Seal(i, buffer.AsSpan(MessageLayout.DataPayload, InnerPacket), buffer, ProtocolConstants.DefaultMtu);
            }
        }

        public void Deliver(Batch batch)
        {
            if (!forward)
            {
                Interlocked.Add(ref run.Packets, PacketsPerBatch);
                run.Batches.Return(batch);
                return;
            }
            // "The network": the receiving engine's reader looks each datagram up and queues the batch for opening.
            for (int i = 0; i < PacketsPerBatch; i++)
            {
                var lookup = run.Pair.EngineB.LookupTransport(batch.Buffers[i].AsSpan(0, batch.Lengths[i]), run.Pair.Now, out batch.Counters[i]);
                if (!lookup.IsOk) throw new InvalidOperationException(lookup.Reason.ToString());
                batch.Keypair = lookup.Keypair;
            }
            if (!run.ReceiveQueue!.TrySubmit(batch, BatchBytes)) Discard(batch);
        }

        public void Discard(Batch batch)
        {
            Interlocked.Increment(ref run.Dropped);
            run.Batches.Return(batch);
        }
    }

    private sealed class OpenWork(Run run) : IOrderedWork<Batch>
    {
        public void Process(Batch batch)
        {
            for (int i = 0; i < PacketsPerBatch; i++)
            {
                var sealedPart = batch.Buffers[i].AsSpan(MessageLayout.DataPayload, batch.Lengths[i] - MessageLayout.DataPayload);
                batch.Opened[i] = batch.Keypair!.Open(batch.Counters[i], sealedPart, sealedPart);
            }
        }

        public void Deliver(Batch batch)
        {
            for (int i = 0; i < PacketsPerBatch; i++)
                if (!batch.Opened[i] || !batch.Keypair!.AcceptCounter(batch.Counters[i]) || batch.Buffers[i][MessageLayout.DataPayload] != 0x45)
                    throw new InvalidOperationException("a packet did not open, was replayed or came out wrong");
            run.Pair.PeerB.OnTransportReceived(run.Pair.EngineB, batch.Keypair!, isKeepalive: false, run.Pair.Now);
            Interlocked.Add(ref run.Packets, PacketsPerBatch);
            run.Batches.Return(batch);
        }

        public void Discard(Batch batch)
        {
            Interlocked.Increment(ref run.Dropped);
            run.Batches.Return(batch);
        }
    }

    public static void RunCommand(string[] args)
    {
        double seconds = 3;
        int[] threads = [1, 2];
        string[] modes = ["seal", "pipeline"];
        var spin = new CryptoPoolOptions().WorkerSpin;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1]); break;
                case "--threads": threads = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
                case "--mode": modes = args[i + 1].Split(','); break;
                case "--spin-us": spin = TimeSpan.FromMicroseconds(double.Parse(args[i + 1])); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return;
            }
        }
        Console.WriteLine($"{Environment.ProcessorCount} processors, AEAD {WgSharp.Crypto.ChaChaPoly.Backend}, {PacketsPerBatch} x {InnerPacket} B per batch, {seconds} s per row, workers spin {spin.TotalMicroseconds} µs");
        Console.WriteLine("| mode | crypto threads | packets/s | inner GB/s | CPU s/GB | x vs first row | allocated in interval | gen0 GCs | dropped |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var mode in modes)
        {
            double first = 0;
            foreach (int t in threads)
            {
                var r = Measure(mode == "pipeline", t, spin, TimeSpan.FromSeconds(seconds));
                if (first == 0) first = r.PacketsPerSecond;
                double gb = r.PacketsPerSecond * InnerPacket / 1e9;
                Console.WriteLine($"| {mode} | {t} | {r.PacketsPerSecond:N0} | {gb:F2} | {r.CpuSecondsPerGb:F2} | {r.PacketsPerSecond / first:F2} | {r.Allocated:N0} B | {r.Gen0} | {r.Dropped} |");
            }
        }
    }

    private readonly record struct Result(double PacketsPerSecond, double CpuSecondsPerGb, long Allocated, int Gen0, long Dropped);

    private static Result Measure(bool pipeline, int threads, TimeSpan spin, TimeSpan duration)
    {
        var run = new Run();
        run.Pair.Connect();
        // Every batch fits in a peer queue: back-pressure comes from the finite batches, as from the
        // kernel's buffers in the device, so the receive side never drops.
        using var pool = new CryptoPool(new CryptoPoolOptions { Threads = threads, PeerQueueCapacity = Batches, WorkerSpin = spin });
        var sendQueue = new OrderedQueue<Batch>(pool, new SealWork(run, pipeline));
        run.ReceiveQueue = new OrderedQueue<Batch>(pool, new OpenWork(run));
        var template = new byte[InnerPacket];
        new Random(1).NextBytes(template);
        template[0] = 0x45;
        var sendLock = new object();
        bool stop = false;

        // The producer is the device's tunnel reader: copy the segments in (as segmentation does), reserve
        // counters and submit under the peer's send lock.
        var producer = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                var batch = run.Batches.Rent();
                for (int i = 0; i < PacketsPerBatch; i++) template.CopyTo(batch.Buffers[i].AsSpan(MessageLayout.DataPayload));
                while (true)
                {
                    lock (sendLock)
                    {
                        if (sendQueue.HasRoom)
                        {
                            if (!run.Pair.PeerA.TryReserveSend(PacketsPerBatch, run.Pair.Now, out batch.Reservation, out _))
                                throw new InvalidOperationException("no session");
                            sendQueue.TrySubmit(batch, BatchBytes);
                            break;
                        }
                    }
                    sendQueue.WaitForRoom();
                }
            }
        }) { Name = "producer" };
        producer.Start();
        Thread.Sleep(TimeSpan.FromSeconds(0.5)); // warm-up: JIT tiers, pools filled

        var process = Process.GetCurrentProcess();
        long packets0 = Interlocked.Read(ref run.Packets);
        var cpu0 = process.TotalProcessorTime;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        int gen0 = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(duration);
        long packets = Interlocked.Read(ref run.Packets) - packets0;
        double elapsed = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        int gcs = GC.CollectionCount(0) - gen0;

        Volatile.Write(ref stop, true);
        producer.Join();
        double gb = packets * (double)InnerPacket / 1e9;
        return new Result(packets / elapsed, cpu / gb, allocated, gcs, Interlocked.Read(ref run.Dropped));
    }
}
