using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using WgSharp.Device.IO;
using WgSharp.Linux;

/// <summary>
/// `udp-receive`: receive-side CPU per datagram on loopback for one datagram per call (Receive), UDP GRO
/// super-buffers (ReceiveBatch, offloads on) and recvmmsg (ReceiveBatch, offloads off). A sender thread
/// blasts WireGuard-sized datagrams with UDP GSO; only the receiving thread's CPU time is counted
/// (CLOCK_THREAD_CPUTIME_ID), per GB and per datagram. Modes alternate over the rounds so a loaded
/// machine shifts all of them alike. Also times the copy that splitting a GRO buffer into slots costs, and GRO
/// received straight into the slots (GroScatter) for comparison.
/// Usage: udp-receive [seconds per mode, default 2] [rounds, default 3]
/// </summary>
internal static partial class UdpReceiveBench
{
    private const int DatagramBytes = 1452;        // a 1420-byte inner packet sealed (MTU 1420 + 32)
    private const int SegmentsPerSend = 44;        // 44 * 1452 = 63,888 bytes: one UDP GSO send
    private const int Slots = 64, Stride = 2048;

    // GroScatter is an experiment, not a product path: GRO received straight into the slots, one iovec per slot
    // as long as the segment size, which only works because the bench knows that size before the receive.
    private enum Mode { Single, Gro, Mmsg, GroScatter }

    public static void Run(string[] args)
    {
        double seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 2;
        int rounds = args.Length > 1 && int.TryParse(args[1], out var r) ? r : 3;
        Console.WriteLine($"udp-receive: {DatagramBytes}-byte datagrams on loopback, GSO sends of {SegmentsPerSend}, {seconds} s per mode, {rounds} rounds");
        Console.WriteLine($"{"mode",-10} {"round",5} {"datagrams",10} {"GB",7} {"rx CPU s",9} {"CPU s/GB",9} {"ns/dgram",9} {"dgram/call",10}");
        foreach (var round in Enumerable.Range(1, rounds))
            foreach (var mode in Enum.GetValues<Mode>())
                RunOne(mode, round, TimeSpan.FromSeconds(seconds));
        CopyCost();
    }

    private static void RunOne(Mode mode, int round, TimeSpan duration)
    {
        using var receiver = new UdpTransport { Offloads = mode == Mode.Gro };
        using var scatter = mode == Mode.GroScatter ? new ScatterReceiver() : null;
        using var sender = new UdpTransport();
        receiver.Bind(0);
        sender.Bind(0);
        var to = UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, scatter?.Port ?? receiver.Port));
        long datagrams = 0, bytes = 0, calls = 0;
        double cpu = 0;
        var started = new ManualResetEventSlim();
        var rx = new Thread(() =>
        {
            var buffers = new byte[Slots * Stride];
            var lengths = new int[Slots];
            var sources = new UdpEndpoint[Slots];
            // The first datagram switches GRO on; counting starts after it.
            Receive(mode, receiver, scatter, buffers, lengths, sources, out _);
            started.Set();
            double cpu0 = ThreadCpuSeconds();
            while (true)
            {
                int n = Receive(mode, receiver, scatter, buffers, lengths, sources, out int received);
                if (n < 0) break;
                datagrams += n;
                bytes += received;
                calls++;
                cpu = ThreadCpuSeconds() - cpu0;
            }
        });
        rx.Start();
        var payload = new byte[DatagramBytes * SegmentsPerSend];
        while (!started.IsSet)
        {
            sender.TrySend(payload.AsSpan(0, DatagramBytes), to);
            Thread.Sleep(1);
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
            sender.TrySendSegments(payload, DatagramBytes, to);
        Thread.Sleep(50); // let the receiver drain what is queued
        receiver.Dispose(); // wakes the receiver with -1
        scatter?.Dispose();
        rx.Join();
        double gb = bytes / 1e9;
        Console.WriteLine($"{mode,-10} {round,5} {datagrams,10} {gb,7:F2} {cpu,9:F2} {cpu / gb,9:F2} {cpu * 1e9 / Math.Max(1, datagrams),9:F0} {(double)datagrams / Math.Max(1, calls),10:F1}");
    }

    private static int Receive(Mode mode, UdpTransport transport, ScatterReceiver? scatter, byte[] buffers, int[] lengths, UdpEndpoint[] sources, out int bytes)
    {
        bytes = 0;
        if (scatter != null)
            return scatter.Receive(buffers, out bytes);
        if (mode == Mode.Single)
        {
            int length = transport.Receive(UdpFamily.IPv4, buffers, out _);
            bytes = Math.Max(0, length);
            return length < 0 ? -1 : 1;
        }
        int n = transport.ReceiveBatch(UdpFamily.IPv4, buffers, Stride, lengths, sources);
        for (int i = 0; i < n; i++) bytes += lengths[i];
        return n;
    }

    /// <summary>The extra copy of the GRO path: one 64 KiB super-buffer into stride slots, from cache.</summary>
    private static void CopyCost()
    {
        var scratch = new byte[DatagramBytes * SegmentsPerSend];
        var slots = new byte[Slots * Stride];
        const int iterations = 200_000;
        double cpu0 = ThreadCpuSeconds();
        for (int i = 0; i < iterations; i++)
            for (int segment = 0; segment < SegmentsPerSend; segment++)
                scratch.AsSpan(segment * DatagramBytes, DatagramBytes).CopyTo(slots.AsSpan(segment * Stride));
        double cpu = ThreadCpuSeconds() - cpu0;
        double gb = (double)iterations * scratch.Length / 1e9;
        Console.WriteLine($"split copy (GRO buffer -> slots): {cpu / gb:F3} CPU s/GB, {cpu * 1e9 / ((double)iterations * SegmentsPerSend):F0} ns/datagram");
    }

    /// <summary>A GRO socket read with one iovec per slot, each as long as the known segment size: no copy after the kernel's.</summary>
    private sealed unsafe class ScatterReceiver : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly LibC.IoVec[] _iovecs = GC.AllocateArray<LibC.IoVec>(Slots, pinned: true);
        private readonly byte[] _control = GC.AllocateArray<byte>(64, pinned: true);
        private volatile bool _closed;

        public ScatterReceiver()
        {
            _socket.ReceiveBufferSize = UdpTransport.SocketBufferBytes;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.SetRawSocketOption(LibC.SOL_UDP, LibC.UDP_GRO, BitConverter.GetBytes(1));
        }

        public ushort Port => (ushort)((IPEndPoint)_socket.LocalEndPoint!).Port;

        public int Receive(byte[] buffers, out int bytes)
        {
            bytes = 0;
            var handle = _socket.SafeHandle;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                fixed (byte* slots = buffers)
                fixed (LibC.IoVec* iov = _iovecs)
                fixed (byte* control = _control)
                {
                    for (int i = 0; i < Slots; i++)
                        iov[i] = new LibC.IoVec { Base = slots + i * Stride, Length = DatagramBytes };
                    var message = new LibC.MsgHdr { Iov = iov, IovLength = Slots, Control = control, ControlLength = 64 };
                    nint n = LibC.RecvMsg((int)handle.DangerousGetHandle(), &message, 0);
                    if (n <= 0) return _closed ? -1 : 0;
                    bytes = (int)n;
                    return (int)((n + DatagramBytes - 1) / DatagramBytes);
                }
            }
            catch (ObjectDisposedException) { return -1; }
            finally { if (added) handle.DangerousRelease(); }
        }

        public void Dispose()
        {
            _closed = true;
            _socket.Dispose();
        }
    }

    private static double ThreadCpuSeconds()
    {
        ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var time);
        return time.Seconds + time.Nanoseconds / 1e9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
