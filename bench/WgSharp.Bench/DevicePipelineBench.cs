using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Keys;

namespace WgSharp.Bench;

/// <summary>
/// `device-pipeline` command: two whole devices in one process on lean in-memory seams. A's tunnel hands over
/// the segments of 64 KiB TCP super-packets (45 x 1420 B per read, as LinuxTunnel cuts a TSO burst), A seals
/// them and sends each run in one call, the datagrams cross a lossless in-memory network, B opens them and
/// writes them to its tunnel, which checks they are all there in order. Measured for each crypto thread count:
/// packets/s and inner GB/s at B, process CPU seconds per GB, allocation and GCs over the interval.
/// Nothing here allocates per packet, so the devices' own cost is what is measured (plus one copy per datagram
/// in the network, standing in for the kernel's).
/// </summary>
internal static class DevicePipelineBench
{
    private const int InnerPacket = 1420;
    private const int SegmentsPerRead = 45;       // 45 x 1420 = 63,900 B: one 64 KiB super-packet's segments
    private const int Window = 64 * SegmentsPerRead; // packets in flight (TCP's window; flow control, not timing)

    public static void Run(string[] args)
    {
        double seconds = 5;
        int[] threads = [1, 2];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--seconds") seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--threads") threads = args[i + 1].Split(',').Select(int.Parse).ToArray();
        }
        Console.WriteLine($"device-pipeline: {Environment.ProcessorCount} cores, {seconds} s per row, 64 KiB super-packets of {InnerPacket} B segments, A -> B");
        Console.WriteLine("| crypto threads | packets/s | inner GB/s | CPU s/GB | allocated | gen0 GCs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (int t in threads) Measure(t, seconds);
    }

    private static void Measure(int cryptoThreads, double seconds)
    {
        var network = new BenchNetwork();
        var source = new SourceTunnel();
        var sink = new SinkTunnel(source);
        var options = new DeviceOptions { CryptoThreads = cryptoThreads };
        using var a = new WireGuardDevice(source, network.HostA, NullLogger.Instance, options);
        using var b = new WireGuardDevice(sink, network.HostB, NullLogger.Instance, options);
        var keyA = KeyGenerator.GeneratePrivateKey();
        var keyB = KeyGenerator.GeneratePrivateKey();
        Configure(a, keyA, KeyGenerator.DerivePublicKey(keyB), "10.0.0.2/32", BenchNetwork.EndpointB);
        Configure(b, keyB, KeyGenerator.DerivePublicKey(keyA), "10.0.0.1/32", BenchNetwork.EndpointA);
        a.Start();
        b.Start();
        // Traffic starts once the session exists (no packet waits in staging, where the oldest would be dropped).
        var peerB = a.FindPeer(KeyGenerator.DerivePublicKey(keyB))!;
        a.SendPacket(peerB, ReadOnlySpan<byte>.Empty); // a keepalive starts the handshake
        var handshake = Stopwatch.StartNew();
        while (peerB.Protocol.Keypairs.Current is null)
        {
            if (handshake.Elapsed > TimeSpan.FromSeconds(30)) throw new InvalidOperationException("no handshake");
            Thread.Sleep(10);
        }
        source.Go();

        // Warm up (handshake, JIT, pools grown), then measure an interval.
        Thread.Sleep(TimeSpan.FromSeconds(Math.Min(2, seconds)));
        if (sink.Violation is { } early) throw new InvalidOperationException(early);
        long packets0 = sink.Received;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        int gc0 = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long packets = sink.Received - packets0;
        double elapsed = clock.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        int gcs = GC.CollectionCount(0) - gc0;
        double gb = packets * (double)InnerPacket / 1e9;
        if (sink.Violation is { } violation) throw new InvalidOperationException(violation);
        Console.WriteLine($"| {a.CryptoThreads} | {packets / elapsed:N0} | {gb / elapsed:F2} | {(gb > 0 ? cpu / gb : double.NaN):F2} | {allocated:N0} B | {gcs} |");
        source.Stop();
    }

    private static void Configure(WireGuardDevice device, Key privateKey, Key peerKey, string allowed, UdpEndpoint endpoint)
    {
        var peer = new PeerUpdate(peerKey) { ReplaceAllowedIps = true, Endpoint = endpoint.ToIPEndPoint() };
        if (!IpPrefix.TryParse(allowed, out var prefix, out var error)) throw new ArgumentException(error);
        peer.AddAllowedIps.Add(prefix.Value);
        var update = new DeviceUpdate { PrivateKey = privateKey };
        update.Peers.Add(peer);
        var result = device.Apply(update);
        if (!result.IsOk) throw new InvalidOperationException(result.Message);
    }

    /// <summary>A's tunnel: every read is one super-packet's 45 segments, numbered, once the window has room.</summary>
    private sealed class SourceTunnel : ITunnel
    {
        private readonly byte[] _template = new byte[InnerPacket];
        private readonly object _window = new();
        private long _inFlight, _next;
        private volatile bool _stopped, _go;

        public SourceTunnel()
        {
            _template[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(_template.AsSpan(2), InnerPacket);
            _template[8] = 64;
            _template[9] = 6; // TCP
            new byte[] { 10, 0, 0, 1 }.CopyTo(_template, 12);
            new byte[] { 10, 0, 0, 2 }.CopyTo(_template, 16);
        }

        public string Name => "bench-a";
        public int Mtu { get; set; } = 1420;
        public int BatchSize => 64;
        public bool Exists => !_stopped;

        public int Read(PacketBatch packets, ITunnelDrops counters)
        {
            lock (_window)
            {
                while ((!_go || _inFlight + SegmentsPerRead > Window) && !_stopped) Monitor.Wait(_window, 100);
                if (_stopped) return -1;
                _inFlight += SegmentsPerRead;
            }
            for (int i = 0; i < SegmentsPerRead; i++)
            {
                var space = packets.PacketSpace(i);
                _template.CopyTo(space);
                BinaryPrimitives.WriteInt64BigEndian(space[40..], _next++);
                packets.Lengths[i] = InnerPacket;
            }
            packets.Count = SegmentsPerRead;
            return SegmentsPerRead;
        }

        public void Go()
        {
            _go = true;
            lock (_window) Monitor.PulseAll(_window);
        }

        public void Acknowledge(int count)
        {
            lock (_window)
            {
                _inFlight -= count;
                Monitor.Pulse(_window);
            }
        }

        public bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold) => false;

        public void Flush(ITunnelDrops counters) { }

        public void Stop()
        {
            _stopped = true;
            lock (_window) Monitor.PulseAll(_window);
        }

        public void Dispose() => Stop();
    }

    /// <summary>B's tunnel: counts what is written and checks it arrives complete and in order.</summary>
    private sealed class SinkTunnel(SourceTunnel source) : ITunnel
    {
        private readonly ManualResetEventSlim _closed = new();
        private long _expected, _received;

        public string Name => "bench-b";
        public int Mtu { get; set; } = 1420;
        public int BatchSize => 64;
        public bool Exists => true;
        public long Received => Interlocked.Read(ref _received);
        public string? Violation { get; private set; }

        public int Read(PacketBatch packets, ITunnelDrops counters)
        {
            _closed.Wait(); // B sends nothing of its own
            return -1;
        }

        public void Flush(ITunnelDrops counters) { }

        public bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold)
        {
            int count = 0;
            for (int i = 0; i < packets.Count; i++)
            {
                if (packets.Lengths[i] == 0) continue;
                long sequence = BinaryPrimitives.ReadInt64BigEndian(packets.Packet(i)[40..]);
                if (sequence != _expected && Violation is null) Violation = $"expected #{_expected}, got #{sequence}";
                _expected = sequence + 1;
                count++;
            }
            Interlocked.Add(ref _received, count);
            source.Acknowledge(count);
            return false;
        }

        public void Dispose() => _closed.Set();
    }

    /// <summary>Two hosts, one transport each, joined by bounded rings of preallocated datagram buffers.</summary>
    private sealed class BenchNetwork
    {
        public static readonly UdpEndpoint EndpointA = UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:51820"));
        public static readonly UdpEndpoint EndpointB = UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.2:51820"));
        private readonly BenchTransport _a = new(EndpointA), _b = new(EndpointB);

        public BenchNetwork()
        {
            _a.Other = _b;
            _b.Other = _a;
        }

        public IDatagramTransportFactory HostA => new Host(_a);
        public IDatagramTransportFactory HostB => new Host(_b);

        private sealed class Host(BenchTransport transport) : IDatagramTransportFactory
        {
            public IDatagramTransport Open(TransportSettings settings) => transport;
        }
    }

    private sealed class BenchTransport(UdpEndpoint local) : IDatagramTransport
    {
        private const int RingSize = 8192, MaxDatagram = 2048;
        private readonly byte[][] _ring = Enumerable.Range(0, RingSize).Select(_ => new byte[MaxDatagram]).ToArray();
        private readonly int[] _lengths = new int[RingSize];
        private readonly UdpEndpoint[] _sources = new UdpEndpoint[RingSize];
        private readonly object _lock = new();
        private int _head, _count;
        private volatile bool _disposed;

        public BenchTransport Other { get; set; } = null!;
        public ushort Port => local.Port;
        public uint FwMark => 0;
        public int BatchSize => 64;

        public int Receive(UdpFamily family, PacketBatch datagrams, bool wait)
        {
            if (family != UdpFamily.IPv4) { while (!_disposed) Thread.Sleep(100); return -1; }
            lock (_lock)
            {
                if (!wait && _count == 0) return _disposed ? -1 : 0;
                while (_count == 0 && !_disposed) Monitor.Wait(_lock, 100);
                if (_disposed) return -1;
                int n = Math.Min(_count, datagrams.Capacity);
                for (int i = 0; i < n; i++)
                {
                    int at = (_head + i) % RingSize;
                    _ring[at].AsSpan(0, _lengths[at]).CopyTo(datagrams.Slot(i));
                    datagrams.Lengths[i] = _lengths[at];
                    datagrams.Endpoints[i] = _sources[at];
                }
                _head = (_head + n) % RingSize;
                _count -= n;
                Monitor.PulseAll(_lock);
                datagrams.Count = n;
                return n;
            }
        }

        private void Enqueue(ReadOnlySpan<byte> datagram, in UdpEndpoint from)
        {
            lock (_lock)
            {
                while (_count == RingSize && !_disposed) Monitor.Wait(_lock, 100); // lossless: the sender waits
                if (_disposed || datagram.Length > MaxDatagram) return;
                int at = (_head + _count) % RingSize;
                datagram.CopyTo(_ring[at]);
                _lengths[at] = datagram.Length;
                _sources[at] = from;
                _count++;
                Monitor.PulseAll(_lock);
            }
        }

        public SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to)
        {
            for (int i = start; i < start + count; i++) Other.Enqueue(datagrams.Datagram(i), local);
            return SocketError.Success;
        }

        public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to)
        {
            Other.Enqueue(datagram, local);
            return SocketError.Success;
        }

        public void SetFwMark(uint mark) { }

        public void Dispose()
        {
            _disposed = true;
            lock (_lock) Monitor.PulseAll(_lock);
        }
    }
}
