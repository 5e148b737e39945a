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
/// Why one class this long (about 470 lines): input dispatch, the output queue and the timer thread share the input
/// burst state (one ACK and one wake-up per received batch), which has to stay in one place to stay consistent.
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

    // ---- input bursts (a device thread delivering one received batch) ----

    // The packets of one burst, at most, whose wake-ups wait for the burst's end when the writer lets us hold them.
    private const int MaxHeldPackets = 128;

    [ThreadStatic] private static InputBurst? t_burst;

    /// <summary>
    /// The calling thread delivers a burst of packets (a received batch): until <see cref="EndInputBurst"/>, output
    /// requests and socket wake-ups are collected and done once at the end, so the tunnel reader wakes once and sends
    /// one ACK for the burst, and a waiting reader wakes once for all its data (what GRO gives a kernel receiver).
    /// </summary>
    public void BeginInputBurst(int packets)
    {
        var burst = t_burst ??= new InputBurst();
        if ((burst.Stack ?? burst.HeldFor) is { } other && other != this) burst.Flush(); // held for another stack: that one first
        burst.Stack = this;
        burst.HeldFor = null;
        burst.Packets += packets;
    }

    /// <summary>
    /// Ends the burst <see cref="BeginInputBurst"/> began. With <paramref name="mayHold"/> the wake-ups may stay
    /// collected for the thread's next burst (bounded by <see cref="MaxHeldPackets"/>): true when they did, and the
    /// thread must then call <see cref="FlushInputBurst"/> (or begin another burst) before it waits for anything.
    /// </summary>
    public bool EndInputBurst(bool mayHold)
    {
        var burst = t_burst!;
        if (mayHold && burst.Count > 0 && burst.Packets < MaxHeldPackets)
        {
            burst.Stack = null; // requests between bursts are not deferred; the held ones stay in the list
            burst.HeldFor = this;
            return true;
        }
        burst.Flush();
        return false;
    }

    /// <summary>Does what this thread's held bursts deferred (nothing when nothing is held).</summary>
    public void FlushInputBurst()
    {
        if (t_burst is { } burst) burst.Flush();
    }

    bool INetstackHost.DeferWake(StackSocket socket)
    {
        if (t_burst is not { } burst || burst.Stack != this) return false;
        burst.Defer(socket, InputBurst.Wake);
        return true;
    }

    /// <summary>One thread's deferred work: each socket once, with what it asked for. Grows to the largest burst, then allocates nothing.</summary>
    private sealed class InputBurst
    {
        public const int Output = 1, Wake = 2;

        private StackSocket[] _sockets = new StackSocket[16];
        public int Count;
        public int Packets;
        public Netstack? Stack;    // the stack whose requests are deferred now (inside a burst)
        public Netstack? HeldFor;  // the stack whose deferred work is held between bursts

        public void Defer(StackSocket socket, int what)
        {
            // Atomic: two threads may deliver bursts to one socket (crypto workers); whoever put it in its list first
            // does what both asked for, the other sees the bits already set and leaves it there.
            if (Interlocked.Or(ref socket.BurstDeferred, what) != 0) return;
            if (Count == _sockets.Length) Array.Resize(ref _sockets, Count * 2);
            _sockets[Count++] = socket;
        }

        public void Flush()
        {
            var stack = Stack ?? HeldFor;
            Stack = null;
            HeldFor = null;
            Packets = 0;
            // By index: a socket woken here may defer nothing new (no burst is active), so the list cannot grow.
            for (int i = 0; i < Count; i++)
            {
                var socket = _sockets[i];
                _sockets[i] = null!;
                int what = Interlocked.Exchange(ref socket.BurstDeferred, 0);
                if ((what & Output) != 0) stack!.RequestOutput(socket);
                if ((what & Wake) != 0)
                {
                    try { socket.OnBurstEnd(); }
                    catch (Exception e) when (e is not OutOfMemoryException) { Debug.Fail($"netstack wake threw: {e}"); }
                }
            }
            Count = 0;
        }
    }

    // ---- output (the tunnel reader thread) ----

    public void RequestOutput(StackSocket socket)
    {
        if (t_burst is { } burst && burst.Stack == this)
        {
            burst.Defer(socket, InputBurst.Output);
            return;
        }
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

    /// <summary>As <see cref="ReadOutput"/> without blocking: 0 when the stack has nothing to send now (tests drive a stack by hand).</summary>
    internal int TryReadOutput(PacketBatch batch) => _disposed ? -1 : FillBatch(batch);

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
            int produced;
            try { produced = socket.ProduceMany(batch, count, mtu, now); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Debug.Fail($"netstack output threw: {e}");
                produced = 0;
            }
            count += produced;
            if (count == batch.Capacity && produced > 0) RequestOutput(socket);
        }
        batch.Count = count;
        return count;
    }

    // ---- timers ----

    public void ScheduleTimer(StackSocket socket, long deadlineMs)
    {
        // Re-arming for a later deadline is the common case (every segment in and out does it): no lock for it. A stale
        // read is harmless: the timer thread clears the field before it calls OnTimer, which arms the socket again.
        long scheduled = Volatile.Read(ref socket.ScheduledDeadline);
        if (scheduled != 0 && scheduled <= deadlineMs) return;
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
