using System.Diagnostics;
using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Packets;

namespace WgSharp.Bench;

/// <summary>
/// `netstack-pair [MiB] [read KiB] [write KiB] [burst]`: two userspace stacks back to back through their <see cref="NetstackTunnel"/>s
/// (no crypto, no sockets), one TCP stream from A to B, each direction carried by its own thread as the device's
/// reader and receive threads carry it (a batch read, written in bursts of at most `burst` packets, default 64: a
/// receive thread gets what one recvmsg/GRO call gave it, often a few packets). It prints what a loaded machine cannot hide:
/// CPU seconds per GB of the whole process, packets each way (pure ACKs per data segment), how often the tunnel
/// reader had to wake, how many reads and writes had to wait, and GCs during the transfer.
/// </summary>
internal static class NetstackPairBench
{
    private static readonly IPNetwork AddressA = IPNetwork.Parse("10.98.0.1/32");
    private static readonly IPNetwork AddressB = IPNetwork.Parse("10.98.0.2/32");

    public static void Run(string[] args)
    {
        long size = (args.Length > 0 ? long.Parse(args[0]) : 512) << 20;
        int readSize = (args.Length > 1 ? int.Parse(args[1]) : 64) << 10;
        int writeSize = (args.Length > 2 ? int.Parse(args[2]) : 64) << 10;
        int burst = args.Length > 3 ? int.Parse(args[3]) : 64;
        for (int round = 0; round < 2; round++) // the first round warms the JIT up; the second is reported
        {
            var result = Transfer(round == 0 ? Math.Min(size, 64L << 20) : size, readSize, writeSize, burst);
            if (round == 1) Console.WriteLine(result);
        }
    }

    private sealed class Carrier(NetstackTunnel from, NetstackTunnel to, int mtu, int burst)
    {
        public long Packets, PureAcks, Batches;
        private readonly PacketBatch _batch = new(64, mtu);
        private readonly PacketBatch _part = new(64, mtu);

        public void Run()
        {
            while (true)
            {
                int n = from.Read(_batch, null!);
                if (n < 0 || !to.Exists) return;
                Batches++;
                for (int i = 0; i < n; i++)
                {
                    Packets++;
                    var packet = _batch.Packet(i);
                    int ihl = (packet[0] & 0xF) * 4;
                    int tcpHeader = (packet[ihl + 12] >> 4) * 4;
                    if (packet.Length == ihl + tcpHeader) PureAcks++;
                }
                if (burst >= n)
                {
                    to.Write(_batch, null!, mayHold: false);
                    continue;
                }
                for (int first = 0; first < n; first += burst)
                {
                    int count = Math.Min(burst, n - first);
                    for (int i = 0; i < count; i++)
                    {
                        var packet = _batch.Packet(first + i);
                        packet.CopyTo(_part.PacketSpace(i));
                        _part.Lengths[i] = packet.Length;
                    }
                    _part.Count = count;
                    to.Write(_part, null!, mayHold: false);
                }
            }
        }
    }

    private static string Transfer(long size, int readSize, int writeSize, int burst)
    {
        const int mtu = 1420;
        var a = new NetstackTunnel(new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [AddressA], Mtu = mtu }), "a");
        var b = new NetstackTunnel(new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [AddressB], Mtu = mtu }), "b");
        var aToB = new Carrier(a, b, mtu, burst);
        var bToA = new Carrier(b, a, mtu, burst);
        var threads = new[] { new Thread(aToB.Run) { IsBackground = true }, new Thread(bToA.Run) { IsBackground = true } };
        foreach (var t in threads) t.Start();

        var listener = b.Stack.Tcp.Listen(UdpEndpoint.FromIPEndPoint(new IPEndPoint(AddressB.BaseAddress, 5001)), 16);
        var network = new BenchConnector(a.Stack);
        var receiverTask = Task.Run(async () =>
        {
            var connection = await network.AcceptAsync(listener);
            using var stream = new TunnelStream(connection);
            var buffer = new byte[readSize];
            long total = 0, reads = 0, waits = 0;
            while (true)
            {
                var pending = stream.ReadAsync(buffer);
                if (!pending.IsCompleted) waits++;
                int n = await pending;
                if (n == 0) break;
                total += n;
                reads++;
            }
            return (total, reads, waits);
        });
        var process = Process.GetCurrentProcess();
        int gcBefore = GC.CollectionCount(0);
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var senderTask = Task.Run(async () =>
        {
            var connection = await network.ConnectAsync(UdpEndpoint.FromIPEndPoint(new IPEndPoint(AddressB.BaseAddress, 5001)));
            using var stream = new TunnelStream(connection);
            var data = new byte[writeSize];
            long writes = 0, waits = 0;
            for (long sent = 0; sent < size; sent += data.Length)
            {
                var pending = stream.WriteAsync(data.AsMemory(0, (int)Math.Min(data.Length, size - sent)));
                if (!pending.IsCompleted) waits++;
                await pending;
                writes++;
            }
            return (writes, waits);
        });
        var (writes, writeWaits) = senderTask.GetAwaiter().GetResult();
        var (received, reads, readWaits) = receiverTask.GetAwaiter().GetResult();
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        int gcs = GC.CollectionCount(0) - gcBefore;
        a.Dispose();
        b.Dispose();
        foreach (var t in threads) t.Join();
        double gb = received / 1e9;
        long dataSegments = aToB.Packets - aToB.PureAcks;
        return FormattableString.Invariant(
            $"netstack-pair bytes={received} seconds={seconds:F3} gbit/s={received * 8 / seconds / 1e9:F3} cpu-s/GB={cpu / gb:F2} data-segments={dataSegments} acks={bToA.PureAcks} acks-per-segment={(double)bToA.PureAcks / dataSegments:F3} a-batches={aToB.Batches} packets-per-batch={(double)aToB.Packets / aToB.Batches:F1} b-batches={bToA.Batches} reads={reads} read-waits={readWaits} bytes-per-read={received / Math.Max(1, reads)} writes={writes} write-waits={writeWaits} gen0-gcs={gcs}");
    }

    /// <summary>Connect and accept straight on the stacks (the embedding's API needs a device).</summary>
    private sealed class BenchConnector(WgSharp.Netstack.Netstack stack)
    {
        public async Task<WgSharp.Netstack.Tcp.TcpConnection> ConnectAsync(UdpEndpoint remote)
        {
            var connection = stack.Tcp.Connect(UdpEndpoint.FromIPEndPoint(new IPEndPoint(AddressA.BaseAddress, 0)), remote);
            while (!connection.IsEstablished)
            {
                if (connection.Error != System.Net.Sockets.SocketError.Success) throw new InvalidOperationException($"connect failed: {connection.Error}");
                await connection.ConnectSignal.WaitAsync();
            }
            return connection;
        }

        public async Task<WgSharp.Netstack.Tcp.TcpConnection> AcceptAsync(WgSharp.Netstack.Tcp.TcpListenerSocket listener)
        {
            while (true)
            {
                if (listener.TryAccept() is { } connection) return connection;
                await listener.AcceptSignal.WaitAsync();
            }
        }
    }
}
