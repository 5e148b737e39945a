using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack.Dns;
using WgSharp.Netstack.Icmp;
using WgSharp.Netstack.Ip;
using WgSharp.Netstack.Tcp;
using WgSharp.Netstack.Udp;
using WgSharp.Packets;

namespace WgSharp.Netstack;

/// <summary>Says whether some peer's allowed IPs cover a destination (4 or 16 bytes).</summary>
internal delegate bool RouteCheck(ReadOnlySpan<byte> destination);

/// <summary>
/// The userspace TCP/IP stack's core: the interface addresses, input dispatch (IP → fragments → TCP/UDP/ICMP), the
/// pull-based output queue the tunnel reader drains, the one-off packet queue, and the timer thread. Protocol work
/// lives in the layers (<see cref="TcpLayer"/>, <see cref="UdpLayer"/>, <see cref="IcmpLayer"/>); this class only
/// routes between them and the tunnel (<see cref="NetstackTunnel"/>). Thread-safe.
/// </summary>
internal sealed class Netstack : INetstackHost, IDisposable
{
    private const int OneOffCapacity = 256;
    private static readonly long TicksPerMs = Stopwatch.Frequency / 1000;

    private readonly (byte[] Address, int PrefixLength)[] _addresses;
    private readonly ConcurrentQueue<StackSocket> _ready = new();
    private readonly ManualResetEventSlim _outputReady = new(false, spinCount: 0);
    private readonly OneOffQueue _oneOff;
    private readonly IpReassembler _reassembler;
    private readonly Lock _reassemblyLock = new();
    private readonly byte[] _reassembled = new byte[PacketBatch.MaxPacketSize];
    private readonly PriorityQueue<StackSocket, long> _timers = new();
    private readonly object _timerLock = new(); // Monitor.Wait/Pulse: the timer thread sleeps until the earliest deadline
    private readonly Thread _timerThread;
    private readonly List<StackSocket> _due = [];
    private long _timerWakeAt = long.MaxValue;
    private volatile bool _disposed;
    private volatile int _mtu;

    public Netstack(NetstackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _addresses = [.. options.Addresses.Select(a => (a.BaseAddress.GetAddressBytes(), a.PrefixLength))];
        _mtu = options.Mtu;
        Counters = new NetstackCounters();
        _oneOff = new OneOffQueue(OneOffCapacity, minimumBuffer: 1500);
        _reassembler = new IpReassembler(Counters);
        Tcp = new TcpLayer(this, options.Tcp);
        Udp = new UdpLayer(this, options.Udp);
        Icmp = new IcmpLayer(this, Tcp, Udp);
        Udp.Icmp = Icmp; // a datagram nobody waits for is answered with port unreachable
        Addresses = options.Addresses;
        DnsServers = options.DnsServers;
        Dns = new DnsResolver(local => Udp.Bind(local), options.DnsServers);
        _timerThread = new Thread(RunTimers) { IsBackground = true, Name = "wgsharp-netstack-timers" };
        _timerThread.Start();
    }

    public TcpLayer Tcp { get; }
    public UdpLayer Udp { get; }
    public IcmpLayer Icmp { get; }
    public DnsResolver Dns { get; }
    public IReadOnlyList<IPNetwork> Addresses { get; }
    public IReadOnlyList<IPAddress> DnsServers { get; }
    public NetstackCounters Counters { get; }

    /// <summary>Answers <see cref="HasRoute"/>; set once the device exists (until then every destination routes).</summary>
    public RouteCheck? Routes { get; set; }

    public long NowMs => Stopwatch.GetTimestamp() / TicksPerMs;

    public int Mtu
    {
        get => _mtu;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1280 - 40 - 20); // IPv4's 576 would do; keep TCP's MSS sane
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, PacketBatch.MaxPacketSize);
            _mtu = value;
        }
    }

    public bool IsDisposed => _disposed;

    /// <summary>A packet capture NetstackTunnel calls with each packet in and out; null (the default) for none.</summary>
    public IPacketTap? Tap { get; set; }

    // ---- input (the device's receive threads) ----

    /// <summary>One decrypted packet from a peer. Never throws: whatever is wrong with it is counted and it is dropped.</summary>
    public void Input(ReadOnlySpan<byte> packet)
    {
        if (_disposed) return;
        try
        {
            var result = IpPacketReader.TryRead(packet, out var ip);
            if (result != IpReadResult.Ok)
            {
                Counters.Increment(result == IpReadResult.Malformed ? NetstackCounter.IpMalformed : NetstackCounter.IpUnsupported);
                return;
            }
            if (!IsLocalAddress(ip.Destination))
            {
                Counters.Increment(NetstackCounter.IpNotForUs);
                return;
            }
            if (!ip.IsFragment)
            {
                Dispatch(ip);
                return;
            }
            lock (_reassemblyLock)
            {
                int length = _reassembler.Add(ip, NowMs, _reassembled);
                if (length == 0) return;
                if (IpPacketReader.TryRead(_reassembled.AsSpan(0, length), out var whole) != IpReadResult.Ok || whole.IsFragment)
                {
                    Counters.Increment(NetstackCounter.FragmentsDropped);
                    return;
                }
                Counters.Increment(NetstackCounter.FragmentsReassembled);
                Dispatch(whole);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Untrusted bytes must never stop the receive path; a layer that throws is a bug, counted as malformed input.
            Counters.Increment(NetstackCounter.IpMalformed);
            Debug.Fail($"netstack input threw: {e}");
        }
    }

    private void Dispatch(in IpPacketInfo ip)
    {
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp: Tcp.Input(ip); break;
            case IpProtocol.Udp: Udp.Input(ip); break;
            case IpProtocol.Icmp when !ip.IsIPv6: Icmp.Input(ip); break;
            case IpProtocol.Icmpv6 when ip.IsIPv6: Icmp.Input(ip); break;
            default: Counters.Increment(NetstackCounter.IpUnknownProtocol); break;
        }
    }

    // ---- output (the tunnel reader thread) ----

    public void RequestOutput(StackSocket socket)
    {
        if (Interlocked.Exchange(ref socket.OutputQueued, 1) == 0)
        {
            _ready.Enqueue(socket);
            WakeReader();
        }
    }

    public bool TrySendPacket(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > _mtu || !_oneOff.TryEnqueue(packet))
        {
            Counters.Increment(NetstackCounter.OutputQueueFull);
            return false;
        }
        WakeReader();
        return true;
    }

    private void WakeReader()
    {
        if (!_outputReady.IsSet) _outputReady.Set();
    }

    /// <summary>
    /// Blocks until the stack has packets to send and writes them into the batch's slots (packet view); returns the
    /// count, or -1 once the stack is disposed.
    /// </summary>
    public int ReadOutput(PacketBatch batch)
    {
        while (true)
        {
            if (_disposed) return -1;
            int n = FillBatch(batch);
            if (n > 0) return n;
            _outputReady.Reset();
            // Anything queued between the fill and the reset set the event before the reset: look once more.
            n = FillBatch(batch);
            if (n > 0) return n;
            if (_disposed) return -1;
            _outputReady.Wait();
        }
    }

    private int FillBatch(PacketBatch batch)
    {
        int count = 0;
        int mtu = _mtu;
        while (count < batch.Capacity)
        {
            int length = _oneOff.TryDequeue(batch.PacketSpace(count));
            if (length == 0) break;
            batch.Lengths[count++] = length;
        }
        long now = NowMs;
        // Each socket queued once; one that still has output when the batch is full goes to the back (fairness).
        int sockets = _ready.Count;
        for (int s = 0; s < sockets && count < batch.Capacity && _ready.TryDequeue(out var socket); s++)
        {
            // Cleared before producing: a request that comes after the socket's last "nothing more" queues it again.
            Volatile.Write(ref socket.OutputQueued, 0);
            int produced = 0;
            while (count < batch.Capacity)
            {
                int length;
                try { length = socket.Produce(batch.PacketSpace(count)[..mtu], now); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Debug.Fail($"netstack output threw: {e}");
                    length = 0;
                }
                if (length <= 0) break;
                batch.Lengths[count++] = length;
                produced++;
            }
            if (count == batch.Capacity && produced > 0) RequestOutput(socket);
        }
        batch.Count = count;
        return count;
    }

    // ---- timers ----

    public void ScheduleTimer(StackSocket socket, long deadlineMs)
    {
        lock (_timerLock)
        {
            if (_disposed) return;
            long current = socket.ScheduledDeadline;
            if (current != 0 && current <= deadlineMs) return;
            socket.ScheduledDeadline = deadlineMs;
            _timers.Enqueue(socket, deadlineMs);
            if (deadlineMs < _timerWakeAt) Monitor.Pulse(_timerLock);
        }
    }

    private void RunTimers()
    {
        while (true)
        {
            lock (_timerLock)
            {
                while (true)
                {
                    if (_disposed) return;
                    long now = NowMs;
                    while (_timers.TryPeek(out var socket, out long deadline) && deadline <= now)
                    {
                        _timers.Dequeue();
                        if (socket.ScheduledDeadline != deadline) continue; // superseded by an earlier deadline that already fired
                        socket.ScheduledDeadline = 0;
                        _due.Add(socket);
                    }
                    if (_due.Count > 0) break;
                    _timerWakeAt = _timers.TryPeek(out _, out long next) ? next : long.MaxValue;
                    int wait = _timerWakeAt == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp(_timerWakeAt - now, 1, int.MaxValue);
                    Monitor.Wait(_timerLock, wait);
                    _timerWakeAt = long.MaxValue;
                }
            }
            // Outside the lock: a socket's timer takes its own lock and schedules again.
            long firedAt = NowMs;
            foreach (var socket in _due)
            {
                try { socket.OnTimer(firedAt); }
                catch (Exception e) when (e is not OutOfMemoryException) { Debug.Fail($"netstack timer threw: {e}"); }
            }
            _due.Clear();
        }
    }

    // ---- addresses and routes ----

    public bool IsLocalAddress(ReadOnlySpan<byte> address)
    {
        foreach (var (local, _) in _addresses)
            if (address.SequenceEqual(local)) return true;
        return false;
    }

    public bool TrySelectSource(in UdpEndpoint destination, out UdpEndpoint source)
    {
        int length = destination.IsIPv4 ? 4 : 16;
        foreach (var (local, _) in _addresses)
        {
            if (local.Length != length) continue;
            source = UdpEndpoint.Create(local, 0);
            return true;
        }
        source = default;
        return false;
    }

    public bool HasRoute(ReadOnlySpan<byte> destination) => Routes is not { } routes || routes(destination);

    /// <summary>Aborts every socket, stops the timer thread and wakes the tunnel reader (which then sees -1).</summary>
    public void Dispose()
    {
        lock (_timerLock)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_timerLock);
        }
        _outputReady.Set();
        try { Tcp.Dispose(); } catch (Exception e) { Debug.Fail(e.ToString()); }
        try { Udp.Dispose(); } catch (Exception e) { Debug.Fail(e.ToString()); }
        try { Icmp.Dispose(); } catch (Exception e) { Debug.Fail(e.ToString()); }
        if (Thread.CurrentThread != _timerThread) _timerThread.Join();
    }

    /// <summary>A bounded queue of copied one-off packets (RSTs, ICMP): fixed buffers, no allocation after construction.</summary>
    private sealed class OneOffQueue(int capacity, int minimumBuffer)
    {
        // Buffers are made on a slot's first use, so an idle stack holds none of them.
        private readonly byte[][] _packets = new byte[capacity][];
        private readonly int[] _lengths = new int[capacity];
        private readonly Lock _lock = new();
        private int _head, _count;

        public bool TryEnqueue(ReadOnlySpan<byte> packet)
        {
            lock (_lock)
            {
                if (_count == _packets.Length) return false;
                int slot = (_head + _count) % _packets.Length;
                var buffer = _packets[slot];
                if (buffer is null || buffer.Length < packet.Length)
                    _packets[slot] = buffer = new byte[Math.Max(packet.Length, minimumBuffer)];
                packet.CopyTo(buffer);
                _lengths[slot] = packet.Length;
                _count++;
                return true;
            }
        }

        /// <summary>Copies the oldest packet into <paramref name="destination"/> and returns its length; 0 when empty.</summary>
        public int TryDequeue(Span<byte> destination)
        {
            lock (_lock)
            {
                if (_count == 0) return 0;
                int length = _lengths[_head];
                _packets[_head].AsSpan(0, length).CopyTo(destination);
                _head = (_head + 1) % _packets.Length;
                _count--;
                return length;
            }
        }
    }
}

/// <summary>What a <see cref="Netstack"/> is built with (the embedding options translated, validated).</summary>
internal sealed record NetstackOptions
{
    public required IReadOnlyList<IPNetwork> Addresses { get; init; }
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];
    public int Mtu { get; init; } = 1420;
    public TcpSettings Tcp { get; init; } = new();
    public UdpSettings Udp { get; init; } = new();
}
