using System.Buffers.Binary;
using WgSharp.Device;
using WgSharp.Linux;

namespace WgSharp.Tests.Device;

/// <summary>
/// Receive-side software GRO: in-order segments of one flow become one GSO super-packet that,
/// segmented again, gives back exactly the segments that went in; anything else is passed on in order.
/// </summary>
public class TcpCoalescerTests
{
    private sealed class Capture
    {
        public readonly List<(byte[] Packet, VirtioNetHeader Header)> Written = [];
        public bool Write(ReadOnlySpan<byte> packet, in VirtioNetHeader header)
        {
            Written.Add((packet.ToArray(), header));
            return true;
        }
    }

    private static List<byte[]> Segments(bool v4, int payload, int mss, ushort port = 40000)
    {
        int ip = v4 ? 20 : 40, header = ip + 32;
        var p = new byte[header + payload];
        new Random(payload + port).NextBytes(p.AsSpan(header));
        if (v4) { p[0] = 0x45; p[6] = 0x40; p[8] = 64; p[9] = 6; new byte[] { 10, 0, 0, 1, 10, 0, 0, 2 }.CopyTo(p, 12); BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 7); }
        else { p[0] = 0x60; p[6] = 6; p[7] = 64; p[8] = 0xFD; p[23] = 1; p[24] = 0xFD; p[39] = 2; }
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(ip), port);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(ip + 2), 5201);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 4), 0xFFFFFF00);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 8), 12345);
        p[ip + 12] = 0x80; p[ip + 13] = 0x18; p[ip + 15] = 0xFF;
        p[ip + 20] = 1; p[ip + 21] = 1; p[ip + 22] = 8; p[ip + 23] = 10;
        var vnet = new VirtioNetHeader { GsoType = v4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, GsoSize = (ushort)mss };
        Assert.True(TcpSegmenter.TryPlan(p, vnet, out int h, out int n));
        var list = new List<byte[]>();
        var buffer = new byte[65536];
        for (int i = 0; i < n; i++) list.Add(buffer[..TcpSegmenter.WriteSegment(p, vnet, h, n, i, buffer)]);
        return list;
    }

    [Fact]
    public void ARunOfFullSegmentsCanGrowUntilAShortOrPushedSegmentOrTheSizeLimitEndsIt()
    {
        var counters = new DeviceCounters();
        var input = Segments(true, 1368 * 47 + 100, 1368); // 47 full segments, then a short one with PSH
        var coalescer = new TcpCoalescer(new Capture().Write);
        Assert.False(coalescer.CanGrow); // nothing pending
        for (int i = 0; i < 20; i++) coalescer.Add(input[i], counters);
        Assert.True(coalescer.CanGrow);
        coalescer.Add(input[^1], counters); // does not follow on: flushes the run and starts over with a closed one
        Assert.False(coalescer.CanGrow);
        coalescer.Flush(counters);

        for (int i = 0; i < 47; i++) coalescer.Add(input[i], counters);
        Assert.False(coalescer.CanGrow); // 47 x 1368 + headers: one more segment would pass 64 KiB
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InOrderSegmentsBecomeOneSuperPacketThatSegmentsBackExactly(bool v4)
    {
        var input = Segments(v4, 20000, 1368);
        var capture = new Capture();
        var coalescer = new TcpCoalescer(capture.Write);
        foreach (var s in input) coalescer.Add(s, new DeviceCounters());
        coalescer.Flush(new DeviceCounters());

        var (packet, header) = Assert.Single(capture.Written);
        Assert.True(header.IsGso);
        Assert.True(header.NeedsChecksum);
        Assert.Equal(1368, header.GsoSize);
        Assert.True(TcpSegmenter.TryPlan(packet, header, out int h, out int n));
        Assert.Equal(input.Count, n);
        var buffer = new byte[65536];
        for (int i = 0; i < n; i++)
            Assert.Equal(input[i], buffer[..TcpSegmenter.WriteSegment(packet, header, h, n, i, buffer)]);
    }

    /// <summary>
    /// Issue 11 item 5: a segment corrupted before encryption must not be merged (the super-packet would leave
    /// with a freshly computed, valid checksum); it goes out unmerged, byte for byte, and not marked as
    /// checksum-verified, so the receiving stack checks it and drops it.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ASegmentWithOneFlippedPayloadByteIsPassedOnUnmergedAndUntouched(bool v4)
    {
        var input = Segments(v4, 1368 * 4, 1368);
        var corrupted = input[2].ToArray();
        corrupted[^100] ^= 0x01;
        var capture = new Capture();
        var coalescer = new TcpCoalescer(capture.Write);
        var counters = new DeviceCounters();
        foreach (var s in new[] { input[0], input[1], corrupted, input[3] }) coalescer.Add(s, counters);
        coalescer.Flush(counters);

        Assert.Equal(3, capture.Written.Count);
        Assert.True(capture.Written[0].Header.IsGso); // segments 0 and 1, merged
        Assert.Equal(corrupted, capture.Written[1].Packet);
        Assert.False(capture.Written[1].Header.IsGso);
        Assert.Equal(0, capture.Written[1].Header.Flags); // neither DATA_VALID nor NEEDS_CSUM: the stack verifies it
        Assert.Equal(input[3], capture.Written[2].Packet); // after a gap it cannot join segments 0-1
    }

    [Fact]
    public void ASegmentWithACorruptedIPv4HeaderChecksumIsNotMerged()
    {
        var input = Segments(true, 1368 * 2, 1368);
        var corrupted = input[1].ToArray();
        corrupted[10] ^= 0x40;
        var capture = new Capture();
        var coalescer = new TcpCoalescer(capture.Write);
        var counters = new DeviceCounters();
        coalescer.Add(input[0], counters);
        coalescer.Add(corrupted, counters);
        coalescer.Flush(counters);
        Assert.Equal(2, capture.Written.Count);
        Assert.Equal(input[0], capture.Written[0].Packet);
        Assert.Equal(corrupted, capture.Written[1].Packet);
        Assert.Equal(0, capture.Written[1].Header.Flags);
    }

    [Fact]
    public void OtherFlowsGapsAndNonDataArePassedOnInOrder()
    {
        var a = Segments(true, 1368 * 3, 1368);
        var b = Segments(true, 1368 * 2, 1368, port: 40001);
        var capture = new Capture();
        var coalescer = new TcpCoalescer(capture.Write);
        var counters = new DeviceCounters();
        coalescer.Add(a[0], counters);
        coalescer.Add(b[0], counters);   // other flow: a[0] goes out alone
        coalescer.Add(a[2], counters);   // gap in a's sequence
        coalescer.Add(new byte[] { 0x45, 0, 0, 20 }, counters); // not TCP data: flushes and passes through
        coalescer.Flush(counters);
        Assert.Equal(4, capture.Written.Count);
        Assert.Equal(a[0], capture.Written[0].Packet);
        Assert.Equal(b[0], capture.Written[1].Packet);
        Assert.Equal(a[2], capture.Written[2].Packet);
        Assert.All(capture.Written, w => Assert.False(w.Header.IsGso));
        Assert.All(capture.Written, w => Assert.Equal(VirtioNetHeader.FlagDataValid, w.Header.Flags));
    }
}
