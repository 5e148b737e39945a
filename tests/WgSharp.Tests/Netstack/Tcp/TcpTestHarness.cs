using System.Buffers.Binary;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using WgSharp.Packets;

namespace WgSharp.Tests.Netstack.Tcp;

/// <summary>A clock the tests move by hand, shared by both ends of a wire.</summary>
internal sealed class TestClock
{
    public long NowMs = 1_000_000;
}

/// <summary>INetstackHost for tests: manual clock, collected output requests, timers fired by the test.</summary>
internal sealed class FakeHost : INetstackHost
{
    private readonly TestClock _clock;
    private readonly byte[][] _addresses;
    public readonly List<StackSocket> OutputRequests = new(1024);
    public readonly Dictionary<StackSocket, long> Timers = new(1024);
    private readonly List<StackSocket> _due = new(1024);
    public readonly Queue<byte[]> SentPackets = new();

    public FakeHost(TestClock clock, int mtu, params byte[][] addresses)
    {
        _clock = clock;
        Mtu = mtu;
        _addresses = addresses;
    }

    public long NowMs => _clock.NowMs;
    public int Mtu { get; }
    public NetstackCounters Counters { get; } = new();

    public void RequestOutput(StackSocket socket)
    {
        lock (OutputRequests)
        {
            if (socket.OutputQueued == 1) return;
            socket.OutputQueued = 1;
            OutputRequests.Add(socket);
        }
    }

    public void ScheduleTimer(StackSocket socket, long deadlineMs)
    {
        lock (Timers)
        {
            if (Timers.TryGetValue(socket, out var existing) && existing <= deadlineMs) return;
            Timers[socket] = deadlineMs;
        }
    }

    public bool TrySendPacket(ReadOnlySpan<byte> packet)
    {
        SentPackets.Enqueue(packet.ToArray());
        return true;
    }

    public bool IsLocalAddress(ReadOnlySpan<byte> address)
    {
        foreach (var a in _addresses) if (a.AsSpan().SequenceEqual(address)) return true;
        return false;
    }

    public bool TrySelectSource(in UdpEndpoint destination, out UdpEndpoint source)
    {
        foreach (var a in _addresses)
            if (a.Length == (destination.IsIPv4 ? 4 : 16)) { source = UdpEndpoint.Create(a, 0); return true; }
        source = default;
        return false;
    }

    public bool HasRoute(ReadOnlySpan<byte> destination) => true;

    /// <summary>The earliest timer deadline, long.MaxValue when none.</summary>
    public long NextDeadline()
    {
        long next = long.MaxValue;
        lock (Timers) foreach (var pair in Timers) next = Math.Min(next, pair.Value);
        return next;
    }

    /// <summary>Fires every timer due at the current time.</summary>
    public int FireDueTimers()
    {
        _due.Clear();
        lock (Timers)
        {
            foreach (var pair in Timers) if (pair.Value <= _clock.NowMs) _due.Add(pair.Key);
            foreach (var socket in _due) Timers.Remove(socket);
        }
        foreach (var socket in _due) socket.OnTimer(_clock.NowMs);
        return _due.Count;
    }

    /// <summary>Takes one socket with output pending, or null.</summary>
    public StackSocket? TakeOutputRequest()
    {
        lock (OutputRequests)
        {
            if (OutputRequests.Count == 0) return null;
            var socket = OutputRequests[0];
            OutputRequests.RemoveAt(0);
            socket.OutputQueued = 0;
            return socket;
        }
    }
}

/// <summary>Test-only IP header parsing (the product's IpPacketReader is another helper's work).</summary>
internal static class TestIp
{
    public static bool TryParse(ReadOnlySpan<byte> packet, out IpPacketInfo info)
    {
        info = default;
        if (packet.Length < 20) return false;
        int version = packet[0] >> 4;
        if (version == 4)
        {
            int ihl = (packet[0] & 0xF) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
            if (ihl < 20 || total < ihl || total > packet.Length) return false;
            info = new IpPacketInfo
            {
                IsIPv6 = false,
                Source = packet.Slice(12, 4),
                Destination = packet.Slice(16, 4),
                Protocol = packet[9],
                Payload = packet[ihl..total],
                HopLimit = packet[8],
                Packet = packet[..total],
                HeaderLength = ihl,
            };
            return true;
        }
        if (version == 6 && packet.Length >= 40)
        {
            int payload = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            if (40 + payload > packet.Length) return false;
            info = new IpPacketInfo
            {
                IsIPv6 = true,
                Source = packet.Slice(8, 16),
                Destination = packet.Slice(24, 16),
                Protocol = packet[6],
                Payload = packet.Slice(40, payload),
                HopLimit = packet[7],
                Packet = packet[..(40 + payload)],
                HeaderLength = 40,
            };
            return true;
        }
        return false;
    }

    /// <summary>An IPv4/IPv6 packet holding one TCP segment built from the given fields (checksum right).</summary>
    public static byte[] BuildSegment(UdpEndpoint from, UdpEndpoint to, uint seq, uint ack, byte flags, ushort window, ReadOnlySpan<byte> payload = default, int mss = 0, int windowScale = -1, bool sackPermitted = false)
    {
        var fields = new TcpHeaderFields
        {
            SourcePort = from.Port, DestinationPort = to.Port, Seq = seq, Ack = ack, Flags = flags, Window = window,
            Mss = mss, WindowScale = windowScale, SackPermitted = sackPermitted,
        };
        int ip = from.IsIPv4 ? 20 : 40;
        int tcpHeader = TcpSegmentWriter.HeaderLength(fields);
        var packet = new byte[ip + tcpHeader + payload.Length];
        payload.CopyTo(packet.AsSpan(ip + tcpHeader));
        int tcpLength = TcpSegmentWriter.Write(packet.AsSpan(ip), fields, payload.Length, from.AddressSpan, to.AddressSpan);
        WriteIpHeader(packet, from.AddressSpan, to.AddressSpan, tcpLength);
        return packet;
    }

    public static void WriteIpHeader(Span<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int payloadLength)
    {
        if (source.Length == 4)
        {
            packet[..20].Clear();
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)(20 + payloadLength));
            packet[8] = 64; packet[9] = IpProtocol.Tcp;
            source.CopyTo(packet[12..]); destination.CopyTo(packet[16..]);
            return;
        }
        packet[..8].Clear();
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)payloadLength);
        packet[6] = IpProtocol.Tcp; packet[7] = 64;
        source.CopyTo(packet[8..]); destination.CopyTo(packet[24..]);
    }
}

/// <summary>One stack end: its host and TCP layer.</summary>
internal sealed class TcpEnd
{
    public TcpEnd(TestClock clock, int mtu, TcpSettings settings, byte[] address)
    {
        Address = address;
        Host = new FakeHost(clock, mtu, address);
        Tcp = new TcpLayer(Host, settings);
    }

    public byte[] Address { get; }
    public FakeHost Host { get; }
    public TcpLayer Tcp { get; }
    public NetstackCounters Counters => Host.Counters;
    public UdpEndpoint At(ushort port) => UdpEndpoint.Create(Address, port);
}

/// <summary>
/// Two TCP stacks joined by a wire: Produce output of one is parsed and fed to the other's Input, with optional loss,
/// duplication and reordering by a seeded Random. Packets travel through preallocated slots (no allocation per packet).
/// </summary>
internal sealed class TcpWire
{
    private const int Slots = 4096;
    private readonly byte[][] _slots = new byte[Slots][];
    private readonly int[] _lengths = new int[Slots];
    private readonly bool[] _toB = new bool[Slots];
    private int _head, _count;
    private readonly Random _random;

    public TestClock Clock { get; } = new();
    public TcpEnd A { get; }
    public TcpEnd B { get; }
    public double LossRate { get; set; }
    public double DuplicateRate { get; set; }
    public double ReorderRate { get; set; }
    /// <summary>When set, decides per packet (toB, packet) whether it is dropped.</summary>
    public Func<bool, byte[], int, bool>? DropFilter { get; set; }
    public bool BlackHole { get; set; }
    public int PacketsAtoB, PacketsBtoA;
    /// <summary>Every packet sent A→B / B→A is also given here when set (for inspection).</summary>
    public Action<bool, ReadOnlyMemory<byte>>? Tap { get; set; }

    public TcpWire(TcpSettings? settings = null, bool ipv6 = false, int mtu = 1420, int seed = 1, TcpSettings? settingsB = null)
    {
        _random = new Random(seed);
        settings ??= new TcpSettings();
        A = new TcpEnd(Clock, mtu, settings, ipv6 ? V6(1) : [10, 0, 0, 1]);
        B = new TcpEnd(Clock, mtu, settingsB ?? settings, ipv6 ? V6(2) : [10, 0, 0, 2]);
        for (int i = 0; i < Slots; i++) _slots[i] = new byte[mtu];
    }

    private static byte[] V6(byte last) { var a = new byte[16]; a[0] = 0xfd; a[15] = last; return a; }

    /// <summary>Moves packets until both stacks are quiet (no output pending, nothing on the wire); no time passes.</summary>
    public void Pump(int maxRounds = 1_000_000)
    {
        for (int round = 0; round < maxRounds; round++)
        {
            bool moved = Drain(A, toB: true) | Drain(B, toB: false);
            if (_count > 0) { DeliverAll(); moved = true; }
            if (!moved) return;
        }
    }

    /// <summary>Advances the clock to the next timer (at most <paramref name="maxStepMs"/>), fires it, pumps; false when no timer is set.</summary>
    public bool AdvanceToNextTimer(long maxStepMs = long.MaxValue)
    {
        long next = Math.Min(A.Host.NextDeadline(), B.Host.NextDeadline());
        if (next == long.MaxValue) return false;
        long limit = maxStepMs >= long.MaxValue / 2 ? long.MaxValue : Clock.NowMs + maxStepMs;
        Clock.NowMs = Math.Max(Clock.NowMs, Math.Min(next, limit));
        A.Host.FireDueTimers();
        B.Host.FireDueTimers();
        Pump();
        return true;
    }

    /// <summary>Advances the clock by <paramref name="ms"/>, firing timers on the way.</summary>
    public void Advance(long ms)
    {
        long end = Clock.NowMs + ms;
        while (true)
        {
            long next = Math.Min(A.Host.NextDeadline(), B.Host.NextDeadline());
            if (next > end) break;
            Clock.NowMs = Math.Max(Clock.NowMs, next);
            A.Host.FireDueTimers();
            B.Host.FireDueTimers();
            Pump();
        }
        Clock.NowMs = end;
        A.Host.FireDueTimers();
        B.Host.FireDueTimers();
        Pump();
    }

    private bool Drain(TcpEnd end, bool toB)
    {
        bool any = false;
        while (end.Host.SentPackets.TryDequeue(out var raw))
        {
            any = true;
            Enqueue(raw, raw.Length, toB);
        }
        StackSocket? socket;
        while ((socket = end.Host.TakeOutputRequest()) != null)
        {
            while (true)
            {
                if (_count == Slots) DeliverAll();
                int slot = (_head + _count) % Slots;
                int n = socket.Produce(_slots[slot], Clock.NowMs);
                if (n == 0) break;
                any = true;
                if (toB) PacketsAtoB++; else PacketsBtoA++;
                Tap?.Invoke(toB, _slots[slot].AsMemory(0, n));
                if (BlackHole || (DropFilter?.Invoke(toB, _slots[slot], n) ?? false) || (LossRate > 0 && _random.NextDouble() < LossRate)) continue;
                _lengths[slot] = n;
                _toB[slot] = toB;
                _count++;
                if (DuplicateRate > 0 && _random.NextDouble() < DuplicateRate && _count < Slots)
                {
                    int copy = (_head + _count) % Slots;
                    _slots[slot].AsSpan(0, n).CopyTo(_slots[copy]);
                    _lengths[copy] = n;
                    _toB[copy] = toB;
                    _count++;
                }
                if (ReorderRate > 0 && _count >= 2 && _random.NextDouble() < ReorderRate)
                {
                    int other = (_head + _random.Next(_count)) % Slots;
                    int last = (_head + _count - 1) % Slots;
                    (_slots[other], _slots[last]) = (_slots[last], _slots[other]);
                    (_lengths[other], _lengths[last]) = (_lengths[last], _lengths[other]);
                    (_toB[other], _toB[last]) = (_toB[last], _toB[other]);
                }
            }
        }
        return any;
    }

    private void Enqueue(byte[] raw, int length, bool toB)
    {
        if (_count == Slots) DeliverAll();
        if (BlackHole) return;
        int slot = (_head + _count) % Slots;
        raw.AsSpan(0, length).CopyTo(_slots[slot]);
        _lengths[slot] = length;
        _toB[slot] = toB;
        _count++;
    }

    private void DeliverAll()
    {
        while (_count > 0)
        {
            int slot = _head;
            _head = (_head + 1) % Slots;
            _count--;
            var target = _toB[slot] ? B : A;
            if (TestIp.TryParse(_slots[slot].AsSpan(0, _lengths[slot]), out var info) && info.Protocol == IpProtocol.Tcp)
                target.Tcp.Input(info);
        }
    }

    /// <summary>Feeds a hand-built packet to <paramref name="end"/> directly, then pumps.</summary>
    public void Inject(TcpEnd end, byte[] packet)
    {
        Assert.True(TestIp.TryParse(packet, out var info));
        end.Tcp.Input(info);
        Pump();
    }

    /// <summary>B listens on port 80 and A connects: both ends established.</summary>
    public (TcpConnection client, TcpConnection server, TcpListenerSocket listener) Connect(ushort port = 80)
    {
        var listener = B.Tcp.Listen(B.At(port), 16);
        var client = A.Tcp.Connect(A.At(0), B.At(port));
        Pump();
        var server = listener.TryAccept();
        Assert.NotNull(server);
        Assert.True(client.IsEstablished);
        Assert.True(server!.IsEstablished);
        return (client, server, listener);
    }

    /// <summary>
    /// Sends <paramref name="data"/> from <paramref name="sender"/> to <paramref name="receiver"/> through the wire (driving time
    /// when stuck), reading everything; returns the bytes received (until <paramref name="data"/>.Length of them arrived).
    /// </summary>
    public byte[] Transfer(TcpConnection sender, TcpConnection receiver, byte[] data, int readChunk = 64 * 1024, long maxTimeMs = 3_600_000)
    {
        var received = new byte[data.Length];
        int sent = 0, got = 0;
        var buffer = new byte[readChunk];
        long deadline = Clock.NowMs + maxTimeMs;
        while (got < data.Length)
        {
            int before = sent + got;
            if (sent < data.Length)
            {
                int n = sender.Send(data.AsSpan(sent));
                Assert.True(n >= -1, $"send failed: {sender.Error}");
                if (n > 0) sent += n;
            }
            Pump();
            int r;
            while ((r = receiver.Receive(buffer)) > 0)
            {
                Assert.True(got + r <= data.Length, "more bytes than sent");
                buffer.AsSpan(0, r).CopyTo(received.AsSpan(got));
                got += r;
            }
            Assert.True(r != -2, $"receive failed: {receiver.Error}");
            Pump();
            if (sent + got == before)
            {
                Assert.True(Clock.NowMs < deadline, "transfer made no progress");
                if (!AdvanceToNextTimer(maxStepMs: 1000)) Clock.NowMs += 1000;
            }
        }
        return received;
    }
}
