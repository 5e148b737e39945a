using WgSharp.Netstack;
using WgSharp.Netstack.Ip;
using WgSharp.Packets;
using Xunit;
using static WgSharp.Tests.Netstack.Ip.TestPackets;

namespace WgSharp.Tests.Netstack.Ip;

public class IpReassemblerTests
{
    private static readonly byte[] Payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>IPv4 fragments of <see cref="Payload"/>: (offset, length) pairs; the last given one has MF clear when <paramref name="lastEnds"/>.</summary>
    private static byte[] V4(int offset, int length, bool more, ushort id = 42, byte[]? source = null) =>
        IPv4(source ?? FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Payload.AsSpan(offset, length), optionsLength: 4, id: id, moreFragments: more, fragmentOffset: offset);

    private static byte[] V6(int offset, int length, bool more, uint id = 42) =>
        IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Payload.AsSpan(offset, length), (0, Extension(8)), (44, FragmentHeader(offset, more, id)));

    private static int Add(IpReassembler reassembler, byte[] fragment, long nowMs, byte[] output) => reassembler.Add(Read(fragment), nowMs, output);

    [Fact]
    public void IPv4_InOrder_Reassembled_HeaderFixed()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        var output = new byte[65535];
        Assert.Equal(0, Add(reassembler, V4(0, 1480, true), 0, output));
        Assert.Equal(0, Add(reassembler, V4(1480, 1480, true), 0, output));
        int length = Add(reassembler, V4(2960, 40, false), 0, output);
        Assert.Equal(24 + 3000, length);
        var whole = Read(output[..length]); // checksum verified by the reader
        Assert.False(whole.IsFragment);
        Assert.Equal(24, whole.HeaderLength);
        Assert.Equal(Payload, whole.Payload.ToArray());
        Assert.Equal(0, reassembler.InProgress);
        Assert.Equal(0, reassembler.BytesHeld);
        Assert.Equal(0, counters[NetstackCounter.FragmentsDropped]);
    }

    [Fact]
    public void IPv6_OutOfOrder_Reassembled_FragmentHeaderRemoved()
    {
        var reassembler = new IpReassembler(new NetstackCounters());
        var output = new byte[65535];
        Assert.Equal(0, Add(reassembler, V6(2000, 1000, false), 0, output));
        Assert.Equal(0, Add(reassembler, V6(1000, 1000, true), 0, output));
        int length = Add(reassembler, V6(0, 1000, true), 0, output);
        Assert.Equal(48 + 3000, length);
        var whole = Read(output[..length]);
        Assert.False(whole.IsFragment);
        Assert.Equal(IpProtocol.Udp, whole.Protocol);
        Assert.Equal(48, whole.HeaderLength); // Hop-by-Hop kept, Fragment header gone
        Assert.Equal(Payload, whole.Payload.ToArray());
    }

    [Fact]
    public void IPv6_NoOtherExtensions_FixedHeaderNextHeaderFixed()
    {
        var reassembler = new IpReassembler(new NetstackCounters());
        var output = new byte[65535];
        byte[] First(bool more, int offset, int length) =>
            IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Payload.AsSpan(offset, length), (44, FragmentHeader(offset, more, 9)));
        Assert.Equal(0, Add(reassembler, First(true, 0, 16), 0, output));
        int length = Add(reassembler, First(false, 16, 5), 0, output);
        var whole = Read(output[..length]);
        Assert.Equal(IpProtocol.Udp, output[6]);
        Assert.Equal(Payload[..21], whole.Payload.ToArray());
    }

    [Fact]
    public void Overlap_DropsTheDatagram()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        var output = new byte[65535];
        Add(reassembler, V4(0, 1480, true), 0, output);
        Assert.Equal(0, Add(reassembler, V4(1472, 1480, true), 0, output)); // overlaps the first
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
        Assert.Equal(0, reassembler.InProgress);
        // The rest alone cannot complete it.
        Assert.Equal(0, Add(reassembler, V4(1480, 1480, true), 0, output));
        Assert.Equal(0, Add(reassembler, V4(2960, 40, false), 0, output));
    }

    [Fact]
    public void ExactDuplicate_IgnoredNotFatal()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        var output = new byte[65535];
        Add(reassembler, V6(0, 1000, true), 0, output);
        Add(reassembler, V6(0, 1000, true), 0, output);
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
        Add(reassembler, V6(1000, 1000, true), 0, output);
        Assert.True(Add(reassembler, V6(2000, 1000, false), 0, output) > 0);
    }

    [Fact]
    public void Timeout_DropsTheDatagram()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters, timeoutMs: 1000);
        var output = new byte[65535];
        Add(reassembler, V4(0, 1480, true), 0, output);
        Add(reassembler, V4(1480, 1480, true), 999, output);
        Assert.Equal(0, counters[NetstackCounter.FragmentsDropped]);
        Assert.Equal(0, Add(reassembler, V4(2960, 40, false), 1000, output));
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
    }

    [Fact]
    public void DatagramLimit_EvictsTheOldest()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters, maxDatagrams: 2);
        var output = new byte[65535];
        Add(reassembler, V4(0, 1480, true, id: 1), 0, output);
        Add(reassembler, V4(0, 1480, true, id: 2), 1, output);
        Add(reassembler, V4(0, 1480, true, id: 3), 2, output);
        Assert.Equal(2, reassembler.InProgress);
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
        Assert.Equal(0, Add(reassembler, V4(1480, 1520, false, id: 1), 3, output)); // evicted
        Assert.True(Add(reassembler, V4(1480, 1520, false, id: 3), 3, output) > 0);
    }

    [Fact]
    public void ByteLimit_Bounded()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters, maxBytes: 4096);
        var output = new byte[65535];
        for (ushort id = 0; id < 10; id++) Add(reassembler, V4(0, 1480, true, id: id), id, output);
        Assert.True(reassembler.BytesHeld <= 4096);
        Assert.True(counters[NetstackCounter.FragmentsDropped] >= 8);
        // A datagram too large for the limit alone never completes.
        Assert.Equal(0, Add(reassembler, IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, new byte[8], id: 77, moreFragments: true, fragmentOffset: 8000), 10, output));
        Assert.True(reassembler.BytesHeld <= 4096);
    }

    [Fact]
    public void BeyondMaximumLength_Dropped()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        var output = new byte[65535];
        Assert.Equal(0, Add(reassembler, IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, new byte[16], id: 5, fragmentOffset: 65520), 0, output));
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
        Assert.Equal(0, reassembler.InProgress);
    }

    [Fact]
    public void NonFinalFragmentNotMultipleOfEight_Dropped()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        Assert.Equal(0, Add(reassembler, V4(0, 1001, true), 0, new byte[65535]));
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
    }

    [Fact]
    public void ConflictingEnds_Dropped()
    {
        var counters = new NetstackCounters();
        var reassembler = new IpReassembler(counters);
        var output = new byte[65535];
        Add(reassembler, V4(1480, 100, false), 0, output);
        Assert.Equal(0, Add(reassembler, V4(1480 + 200, 8, false), 0, output));
        Assert.Equal(0, reassembler.InProgress);
        Assert.Equal(1, counters[NetstackCounter.FragmentsDropped]);
    }

    [Fact]
    public void DifferentSources_KeptApart()
    {
        var reassembler = new IpReassembler(new NetstackCounters());
        var output = new byte[65535];
        Add(reassembler, V4(0, 1480, true, source: [10, 0, 0, 1]), 0, output);
        Add(reassembler, V4(0, 1480, true, source: [10, 0, 0, 7]), 0, output);
        Assert.Equal(2, reassembler.InProgress);
        int length = Add(reassembler, V4(1480, 1520, false, source: [10, 0, 0, 7]), 0, output);
        Assert.Equal([10, 0, 0, 7], Read(output[..length]).Source.ToArray());
    }

    [Fact]
    public void RandomFragments_NeverThrow_AndStayBounded()
    {
        var reassembler = new IpReassembler(new NetstackCounters(), maxDatagrams: 8, maxBytes: 64 * 1024);
        var random = new Random(5);
        var output = new byte[65535];
        for (int i = 0; i < 3000; i++)
        {
            int offset = random.Next(0, 400) * 8;
            int length = random.Next(0, 64) * (random.Next(4) == 0 ? 1 : 8);
            var fragment = random.Next(2) == 0
                ? IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, new byte[length], id: (ushort)random.Next(12), moreFragments: random.Next(3) != 0, fragmentOffset: offset)
                : IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, new byte[length], (44, FragmentHeader(offset, random.Next(3) != 0, (uint)random.Next(12))));
            if (IpPacketReader.TryRead(fragment, out var info) != IpReadResult.Ok || !info.IsFragment) continue;
            int whole = reassembler.Add(info, i, output);
            if (whole > 0) Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(output.AsSpan(0, whole), out _));
            Assert.True(reassembler.BytesHeld <= 64 * 1024);
        }
    }
}
