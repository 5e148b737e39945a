using System.Collections.Concurrent;
using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;

namespace WgSharp.Tests.Netstack;

/// <summary>The stack core on its own: the pull-based output queue, the one-off packet queue, timers, input that is not ours.</summary>
public sealed class NetstackCoreTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);
    private readonly WgSharp.Netstack.Netstack _stack = new(new NetstackOptions { Addresses = [IPNetwork.Parse("10.1.0.2/32"), IPNetwork.Parse("fd01::2/128")] });
    private readonly PacketBatch _batch = new(64, 1500);

    public void Dispose()
    {
        _stack.Dispose();
        _batch.Dispose();
    }

    /// <summary>A socket that sends a given number of 100-byte packets, each stamped with its id and sequence.</summary>
    private sealed class CountingSocket(byte id) : StackSocket
    {
        public int Pending;
        public int Produced;
        public readonly ConcurrentQueue<long> Fired = new();

        public override int Produce(Span<byte> packet, long nowMs)
        {
            if (Pending == 0) return 0;
            Pending--;
            packet[..100].Clear();
            packet[0] = 0x45; // looks like IPv4 to anyone who peeks
            packet[1] = id;
            packet[2] = (byte)Produced++;
            return 100;
        }

        public override void OnTimer(long nowMs) => Fired.Enqueue(nowMs);
    }

    [Fact]
    public void ASocketThatAsksToSendIsDrainedIntoTheBatchUntilItHasNothingMore()
    {
        var socket = new CountingSocket(7) { Pending = 5 };
        _stack.RequestOutput(socket);
        _stack.RequestOutput(socket); // idempotent while queued

        int n = _stack.ReadOutput(_batch);

        Assert.Equal(5, n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(100, _batch.Lengths[i]);
            Assert.Equal(i, _batch.Packet(i)[2]);
        }
        Assert.Equal(0, socket.OutputQueued);
    }

    [Fact]
    public void ASocketWithMoreThanABatchIsQueuedAgainAfterTheOthers()
    {
        var big = new CountingSocket(1) { Pending = 100 };
        var small = new CountingSocket(2) { Pending = 3 };
        _stack.RequestOutput(big);
        _stack.RequestOutput(small);

        int first = _stack.ReadOutput(_batch);
        Assert.Equal(64, first);
        Assert.All(Enumerable.Range(0, first), i => Assert.Equal(1, _batch.Packet(i)[1]));

        int second = _stack.ReadOutput(_batch);
        var ids = Enumerable.Range(0, second).Select(i => _batch.Packet(i)[1]).ToArray();
        Assert.Equal([2, 2, 2], ids[..3]); // the small socket, queued before big went back, comes first
        Assert.Equal(3 + 36, second);
    }

    [Fact]
    public async Task ARequestAfterTheSocketsLastEmptyProduceIsNotLost()
    {
        var socket = new CountingSocket(3) { Pending = 1 };
        _stack.RequestOutput(socket);
        Assert.Equal(1, _stack.ReadOutput(_batch));

        // The reader now blocks; a new request from another thread must wake it.
        var read = Task.Run(() => _stack.ReadOutput(_batch));
        socket.Pending = 2;
        _stack.RequestOutput(socket);
        Assert.Equal(2, await read.WaitAsync(HangGuard));
    }

    [Fact]
    public void OneOffPacketsAreBoundedAndCountedWhenTheQueueIsFull()
    {
        var packet = new byte[60];
        packet[0] = 0x45;
        int accepted = 0;
        while (_stack.TrySendPacket(packet)) accepted++;

        Assert.True(accepted is > 0 and < 10_000);
        Assert.Equal(1, _stack.Counters[NetstackCounter.OutputQueueFull]);
        Assert.Equal(Math.Min(accepted, 64), _stack.ReadOutput(_batch));
        Assert.False(_stack.TrySendPacket(new byte[_stack.Mtu + 1]));
    }

    [Fact]
    public void TimersFireAtTheEarliestDeadlineOnceAndLaterRequestsDoNotDelayThem()
    {
        var early = new CountingSocket(1);
        var late = new CountingSocket(2);
        long now = _stack.NowMs;
        _stack.ScheduleTimer(late, now + 200);
        _stack.ScheduleTimer(early, now + 50);
        _stack.ScheduleTimer(early, now + 10_000); // later than the one scheduled: ignored
        _stack.ScheduleTimer(late, now + 100);     // earlier: supersedes 200

        SpinWait.SpinUntil(() => !late.Fired.IsEmpty, HangGuard);
        Thread.Sleep(250); // past the superseded deadline: it must not fire a second time

        Assert.Single(early.Fired);
        Assert.Single(late.Fired);
        Assert.True(early.Fired.Single() >= now + 50);
        Assert.True(late.Fired.Single() >= now + 100);
        Assert.True(early.Fired.Single() <= late.Fired.Single());
    }

    [Fact]
    public async Task ADisposedStackEndsTheBlockedReader()
    {
        var read = Task.Run(() => _stack.ReadOutput(_batch));
        Thread.Sleep(20);
        _stack.Dispose();
        Assert.Equal(-1, await read.WaitAsync(HangGuard));
    }

    [Fact]
    public void PacketsForOtherAddressesOrNotIpAreCountedAndDropped()
    {
        byte[] notIp = [0x00, 1, 2, 3];
        var other = new byte[28];
        other[0] = 0x45;
        other[3] = 28;
        other[8] = 64;
        other[9] = 17;
        new byte[] { 10, 1, 0, 9 }.CopyTo(other, 12);
        new byte[] { 10, 1, 0, 77 }.CopyTo(other, 16); // not our address
        var sum = WgSharp.Packets.InternetChecksum.Finish(WgSharp.Packets.InternetChecksum.Add(0, other.AsSpan(0, 20)));
        other[10] = (byte)(sum >> 8);
        other[11] = (byte)sum;

        _stack.Input(notIp);
        _stack.Input(other);
        _stack.Input([]);

        Assert.Equal(2, _stack.Counters[NetstackCounter.IpMalformed]);
        Assert.Equal(1, _stack.Counters[NetstackCounter.IpNotForUs]);
    }

    [Fact]
    public void CounterNamesAreSnakeCase()
    {
        Assert.Equal("tcp_syn_backlog_full", NetstackCounters.Name(NetstackCounter.TcpSynBacklogFull));
        Assert.Equal("ip_malformed", NetstackCounters.Name(NetstackCounter.IpMalformed));
        Assert.Equal(NetstackCounters.All.Count, NetstackCounters.All.Select(NetstackCounters.Name).Distinct().Count());
    }

    [Fact]
    public void SourceSelectionPicksTheAddressOfTheDestinationsFamily()
    {
        Assert.True(_stack.TrySelectSource(UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("10.9.9.9:1")), out var v4));
        Assert.Equal(IPAddress.Parse("10.1.0.2"), v4.Address);
        Assert.True(_stack.TrySelectSource(UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("[fd09::9]:1")), out var v6));
        Assert.Equal(IPAddress.Parse("fd01::2"), v6.Address);
        Assert.True(_stack.IsLocalAddress(IPAddress.Parse("fd01::2").GetAddressBytes()));
        Assert.False(_stack.IsLocalAddress(IPAddress.Parse("10.1.0.3").GetAddressBytes()));
    }
}
