using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack.Tcp;

public class TcpPartsTests
{
    [Fact]
    public void Segment_WriteThenParse_RoundTripsEveryOption()
    {
        var source = new byte[] { 10, 0, 0, 1 };
        var destination = new byte[] { 10, 0, 0, 2 };
        uint[] sacks = [100, 200, 300, 400, 500, 600];
        var fields = new TcpHeaderFields
        {
            SourcePort = 1234, DestinationPort = 80, Seq = 0xFFFFFFF0, Ack = 7, Flags = TcpFlags.Ack | TcpFlags.Psh, Window = 4321,
            Mss = 0, WindowScale = -1, HasTimestamps = true, TsVal = 11, TsEcr = 22, SackBlocks = sacks,
        };
        var buffer = new byte[200];
        int header = TcpSegmentWriter.HeaderLength(fields);
        Assert.Equal(20 + 12 + 4 + 24, header);
        "hello"u8.CopyTo(buffer.AsSpan(header));
        int length = TcpSegmentWriter.Write(buffer, fields, 5, source, destination);
        Assert.True(TcpSegmentWriter.ChecksumValid(buffer.AsSpan(0, length), source, destination));
        Assert.True(TcpSegment.TryParse(buffer.AsSpan(0, length), out var segment));
        Assert.Equal(1234, segment.SourcePort);
        Assert.Equal(0xFFFFFFF0u, segment.Seq);
        Assert.Equal(7u, segment.Ack);
        Assert.Equal(4321, segment.Window);
        Assert.True(segment.HasTimestamps);
        Assert.Equal(11u, segment.TsVal);
        Assert.Equal(22u, segment.TsEcr);
        Assert.Equal(3, segment.SackCount);
        Assert.Equal(500u, segment.Sacks[4]);
        Assert.Equal("hello"u8.ToArray(), segment.Payload.ToArray());
        buffer[header] ^= 1;
        Assert.False(TcpSegmentWriter.ChecksumValid(buffer.AsSpan(0, length), source, destination));

        var syn = new TcpHeaderFields { Flags = TcpFlags.Syn, Mss = 1380, WindowScale = 7, SackPermitted = true, HasTimestamps = true, TsVal = 5 };
        length = TcpSegmentWriter.Write(buffer, syn, 0, source, destination);
        Assert.True(TcpSegment.TryParse(buffer.AsSpan(0, length), out segment));
        Assert.Equal(1380, segment.Mss);
        Assert.Equal(7, segment.WindowScale);
        Assert.True(segment.SackPermitted);
        Assert.Equal(5u, segment.TsVal);
    }

    [Theory]
    [InlineData(new byte[] { 2, 1 })]          // length below 2
    [InlineData(new byte[] { 2, 8, 0, 0 })]    // longer than the header
    [InlineData(new byte[] { 8 })]             // kind without length
    public void Segment_MalformedOptions_AreRefused(byte[] options)
    {
        var bytes = new byte[24];
        bytes[12] = 6 << 4;
        options.CopyTo(bytes, 20);
        Assert.False(TcpSegment.TryParse(bytes, out _));
    }

    [Fact]
    public void Segment_DataOffsetOutOfBounds_IsRefused()
    {
        var bytes = new byte[20];
        bytes[12] = 4 << 4;
        Assert.False(TcpSegment.TryParse(bytes, out _));
        bytes[12] = 6 << 4;
        Assert.False(TcpSegment.TryParse(bytes, out _));
        Assert.False(TcpSegment.TryParse(bytes.AsSpan(0, 19), out _));
    }

    [Fact]
    public void Seq_ComparesAcrossWraparound()
    {
        Assert.True(Seq.Lt(0xFFFFFFF0, 5));
        Assert.True(Seq.Gt(5, 0xFFFFFFF0));
        Assert.True(Seq.InRange(2, 0xFFFFFFFE, 10));
        Assert.Equal(5u, Seq.Max(0xFFFFFFF0, 5));
    }

    [Fact]
    public void RangeSet_MergesTrimsAndBounds()
    {
        var set = new SeqRangeSet();
        Assert.True(set.Add(100, 200));
        Assert.True(set.Add(300, 400));
        Assert.True(set.Add(200, 300)); // bridges both
        Assert.Equal(1, set.Count);
        Assert.Equal(300, set.Bytes);
        set.RemoveBefore(150);
        Assert.Equal(150u, set.Start(0));
        Assert.True(set.Add(0xFFFFFFF0, 10)); // wraps: sorts before
        Assert.Equal(2, set.Count);
        set.Clear();
        for (int i = 0; i < SeqRangeSet.MaxRanges; i++) Assert.True(set.Add((uint)(i * 10), (uint)(i * 10 + 5)));
        Assert.False(set.Add(SeqRangeSet.MaxRanges * 10 + 100, SeqRangeSet.MaxRanges * 10 + 105));
        Assert.True(set.Add(5, 10)); // merging needs no slot
    }

    [Fact]
    public void ChunkedBuffer_WritesAtOffsets_AndReturnsChunksWhenEmpty()
    {
        var buffer = new ChunkedBuffer(100_000);
        var data = new byte[70_000];
        new Random(2).NextBytes(data);
        buffer.Write(40_000, data.AsSpan(40_000));
        buffer.Write(0, data.AsSpan(0, 40_000));
        var copy = new byte[70_000];
        buffer.Read(0, copy);
        Assert.Equal(data, copy);
        buffer.Consume(50_000);
        buffer.Read(0, copy.AsSpan(0, 20_000));
        Assert.Equal(data.AsSpan(50_000).ToArray(), copy[..20_000]);
        Assert.True(buffer.ChunksHeld <= 3);
        buffer.Consume(20_000);
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.Equal(30_000, buffer.Append(new byte[30_000]));
        Assert.Equal(30_000, buffer.Extent);
    }

    [Fact]
    public void Rtt_FollowsRfc6298()
    {
        var rtt = new RttEstimator(1000, 200, 120_000);
        Assert.Equal(1000, rtt.Rto);
        rtt.AddSample(100); // SRTT 100, RTTVAR 50: RTO = 100 + 4*50 = 300
        Assert.Equal(300, rtt.Rto);
        rtt.Backoff();
        Assert.Equal(600, rtt.Rto);
        rtt.AddSample(100);
        Assert.True(rtt.Rto >= 200 && rtt.Rto <= 300);
        for (int i = 0; i < 30; i++) rtt.Backoff();
        Assert.Equal(120_000, rtt.Rto);
    }

    [Fact]
    public void Cubic_ReducesByBetaOnLoss_AndGrowsBack()
    {
        var cubic = new CubicCongestionControl(1000);
        for (int i = 0; i < 100; i++) cubic.OnAck(1000, i, 10);
        int before = cubic.Cwnd;
        cubic.OnLossDetected(before, 1000);
        Assert.Equal((int)(before * 0.7), cubic.Cwnd);
        long now = 1000;
        for (int i = 0; i < 20_000 && cubic.Cwnd < before; i++) cubic.OnAck(1000, now += 1, 10);
        Assert.True(cubic.Cwnd >= before);
        var reno = new CongestionControl(1000);
        reno.OnRetransmissionTimeout(8_000, 0);
        Assert.Equal(1000, reno.Cwnd);
        Assert.Equal(4_000, reno.Ssthresh);
    }

    /// <summary>
    /// A loss cuts the window from what the window was, never grows it: the bytes between SND.UNA and SND.MAX can be far
    /// more than the window when a hole at SND.UNA stays open while SACKed data above it goes on (a segment held back on
    /// the path), and a "cut" to 0.7 of those made the window grow at each loss (2 MB in flight through the lossy relay).
    /// </summary>
    [Theory]
    [InlineData(true, 0.7)]
    [InlineData(false, 0.5)]
    public void ALossCutsTheWindowNotTheOutstandingBytes(bool cubic, double beta)
    {
        var algorithm = cubic ? CongestionAlgorithm.Cubic : CongestionAlgorithm.NewReno;
        var cc = CongestionControl.Create(algorithm, 1000);
        for (int i = 0; i < 40; i++) cc.OnAck(2000, i, 10);
        int cwnd = cc.Cwnd;
        cc.OnLossDetected(10 * cwnd, 100);
        Assert.Equal((int)(cwnd * beta), cc.Ssthresh);
        Assert.True(cc.Cwnd <= cwnd * beta, $"cwnd {cc.Cwnd} from {cwnd}");
        // Less in flight than the window (the application sent little): the flight is what is halved (RFC 5681 3.1).
        var idle = CongestionControl.Create(algorithm, 1000);
        for (int i = 0; i < 40; i++) idle.OnAck(2000, i, 10);
        idle.OnLossDetected(20_000, 100);
        Assert.Equal((int)(20_000 * beta), idle.Ssthresh);
    }

    /// <summary>RFC 9438 4.9: a spurious congestion event is undone: window, threshold and the cubic curve as before the cut.</summary>
    [Fact]
    public void Cubic_UndoOfASpuriousCut_RestoresTheWindowAndTheCurve()
    {
        var cubic = new CubicCongestionControl(1000);
        var twin = new CubicCongestionControl(1000); // the same connection without the spurious event
        long now = 0;
        for (int i = 0; i < 100; i++) { cubic.OnAck(1000, now, 10); twin.OnAck(1000, now, 10); }
        cubic.OnLossDetected(cubic.Cwnd, now); // a first, real congestion event: both in congestion avoidance
        twin.OnLossDetected(twin.Cwnd, now);
        for (int i = 0; i < 50; i++) { cubic.OnAck(1000, now += 1, 10); twin.OnAck(1000, now, 10); }
        int before = cubic.Cwnd, ssthresh = cubic.Ssthresh;

        cubic.SaveForUndo();
        cubic.OnLossDetected(before, now);
        Assert.True(cubic.Cwnd < before);
        cubic.Undo();

        Assert.Equal(before, cubic.Cwnd);
        Assert.Equal(ssthresh, cubic.Ssthresh);
        for (int i = 0; i < 200; i++) { cubic.OnAck(1000, now += 1, 10); twin.OnAck(1000, now, 10); }
        Assert.Equal(twin.Cwnd, cubic.Cwnd); // the curve goes on where it was
    }

    [Fact]
    public void Reno_UndoAfterATimeout_RestoresTheWindowAndLeavesSlowStartAsItWas()
    {
        var reno = new CongestionControl(1000);
        for (int i = 0; i < 20; i++) reno.OnAck(2000, i, 10);
        int before = reno.Cwnd;
        reno.SaveForUndo();
        reno.OnRetransmissionTimeout(before, 100);
        Assert.Equal(1000, reno.Cwnd);
        reno.Undo();
        Assert.Equal(before, reno.Cwnd);
        Assert.Equal(int.MaxValue, reno.Ssthresh);
        Assert.True(reno.InSlowStart);
    }
}
