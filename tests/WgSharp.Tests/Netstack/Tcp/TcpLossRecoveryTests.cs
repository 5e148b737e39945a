using System.Security.Cryptography;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;

namespace WgSharp.Tests.Netstack.Tcp;

/// <summary>Loss recovery on the deterministic wire (manual clock, seeded or counted loss): transfers finish, FIN included.</summary>
public class TcpLossRecoveryTests
{
    /// <summary>The stall once seen with 1 packet in 7 dropped: the sender in FIN_WAIT_1 retransmitted forever, a hole never filled.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneInSevenDropped_EightMegabytesThenFin_ArriveIntact(bool sack)
    {
        var wire = new TcpWire(new TcpSettings { Sack = sack });
        var (client, server, _) = wire.Connect();
        int seen = 0;
        wire.DropFilter = (_, _, _) => ++seen % 7 == 0;
        var data = RandomNumberGenerator.GetBytes(8 << 20);

        var got = SendCloseAndReadToEnd(wire, client, server, data, maxTimeMs: 600_000);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(got));
        // The FIN's ACK may itself be lost: the FIN goes again until it is acknowledged.
        for (int i = 0; i < 100 && client.State == TcpState.FinWait1; i++) wire.AdvanceToNextTimer(maxStepMs: 1000);
        Assert.Equal(TcpState.FinWait2, client.State);
    }

    /// <summary>
    /// Random loss (seeded), optionally with reordering and duplication: what is sent again stays close to what was
    /// lost (no storm of spurious retransmissions from a scoreboard that forgets what the peer has).
    /// </summary>
    [Theory]
    [InlineData(0.03, 0.0, 0.0, 21, 2)]
    [InlineData(0.03, 0.05, 0.01, 22, 2)]
    [InlineData(0.14, 0.0, 0.0, 23, 3)] // one ACK in 7 lost too: some SACK information never arrives
    public void RandomLoss_RetransmitsStayNearTheDataLost(double loss, double reorder, double duplicate, int seed, int factor)
    {
        var wire = new TcpWire(seed: seed);
        var (client, server, _) = wire.Connect();
        var random = new Random(seed);
        int dataDropped = 0;
        wire.DropFilter = (toB, _, length) =>
        {
            bool drop = random.NextDouble() < loss;
            if (drop && toB && length > 100) dataDropped++;
            return drop;
        };
        wire.ReorderRate = reorder;
        wire.DuplicateRate = duplicate;
        var data = RandomNumberGenerator.GetBytes(4 << 20);

        var got = SendCloseAndReadToEnd(wire, client, server, data, maxTimeMs: 600_000);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(got));
        // Segments the receiver had no room for (out-of-order ranges) were lost too.
        long lost = dataDropped + wire.B.Counters[NetstackCounter.TcpOutOfOrderDropped];
        long retransmits = wire.A.Counters[NetstackCounter.TcpRetransmits];
        Assert.True(retransmits <= factor * lost + 20, $"{retransmits} retransmissions for {lost} data segments lost; {client.DebugState()}");
    }

    /// <summary>
    /// RFC 8985 6.2 step 4: a DSACK (a retransmission was spurious: the path reorders beyond the window) widens RACK's
    /// reordering window by one unit, at most once per round trip, and never beyond SRTT.
    /// </summary>
    [Fact]
    public void ADuplicateSackWidensTheReorderingWindowOncePerRoundTrip()
    {
        var wire = new TcpWire();
        var listener = wire.B.Tcp.Listen(wire.B.At(80), 16);
        var client = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        bool synAckDropped = false;
        wire.DropFilter = (toB, _, _) => !toB && !synAckDropped && (synAckDropped = true); // SYN-ACK lost once: a 1 s RTT sample
        wire.Pump();
        wire.AdvanceToNextTimer();
        wire.DropFilter = null;
        var server = listener.TryAccept();
        Assert.NotNull(server);
        Assert.True(client.IsEstablished);
        Assert.Equal(1000, client.Send(new byte[1000]));
        wire.Pump();
        uint ack = client.SendNext;
        wire.Inject(wire.A, DuplicateSack(wire, server!, ack, 0, 0)); // the same ACK without a block: nothing changes
        long unit = client.ReorderWindow;
        Assert.True(unit >= 2 && 3 * unit <= 1000, $"unit {unit}");

        wire.BlackHole = true; // a segment in flight: the round trip lasts until it is acknowledged
        Assert.Equal(1000, client.Send(new byte[1000]));
        wire.Pump();
        wire.Inject(wire.A, DuplicateSack(wire, server!, ack, ack - 600, ack - 100));
        Assert.Equal(2 * unit, client.ReorderWindow);
        wire.Inject(wire.A, DuplicateSack(wire, server!, ack, ack - 500, ack - 100)); // the same round trip: no more
        Assert.Equal(2 * unit, client.ReorderWindow);

        wire.BlackHole = false;
        for (int i = 0; i < 20 && client.SendUnacknowledged != client.SendNext; i++) wire.AdvanceToNextTimer();
        Assert.Equal(client.SendNext, client.SendUnacknowledged);
        ack = client.SendNext;
        wire.Inject(wire.A, DuplicateSack(wire, server!, ack, ack - 600, ack - 100)); // the next round trip
        Assert.Equal(3 * unit, client.ReorderWindow);
    }

    /// <summary>RFC 2883: data that arrives twice is reported once, as the first SACK block of the ACK it draws.</summary>
    [Fact]
    public void AReceiverReportsDataThatArrivedTwiceAsADuplicateSack()
    {
        var wire = new TcpWire();
        var (client, server, _) = wire.Connect();
        uint first = client.SendNext;
        Assert.Equal(2000, client.Send(new byte[2000]));
        wire.Pump();
        wire.Advance(100); // the delayed ACK, then the short last segment Nagle held
        Assert.Equal(first + 2000, server.ReceiveNext);

        var acks = new List<byte[]>();
        wire.Tap = (toB, packet) => { if (!toB) acks.Add(packet.ToArray()); };
        wire.Inject(wire.B, TestIp.BuildSegment(wire.A.At(client.LocalEndPoint.Port), wire.B.At(80), first, server.SendNext, TcpFlags.Ack, 1000, new byte[500]));
        wire.Inject(wire.B, TestIp.BuildSegment(wire.A.At(client.LocalEndPoint.Port), wire.B.At(80), first, server.SendNext, TcpFlags.Ack, 1000, new byte[500]));

        Assert.Equal(2, acks.Count); // each copy draws its ACK, and each ACK reports its copy once
        foreach (var packet in acks)
        {
            var dsack = Parse(packet);
            Assert.Equal(1, dsack.SackCount);
            Assert.Equal(first, dsack.Sacks[0]);
            Assert.Equal(first + 500, dsack.Sacks[1]);
            Assert.Equal(first + 2000, dsack.Ack); // below the cumulative ACK: a DSACK
        }
        wire.Advance(1000);
        Assert.Equal(2, acks.Count); // nothing more: no ACK repeats it

        static TcpSegment Parse(byte[] packet)
        {
            Assert.True(TestIp.TryParse(packet, out var ip));
            Assert.True(TcpSegment.TryParse(ip.Payload, out var segment));
            return segment;
        }
    }

    /// <summary>
    /// RFC 3708 / RFC 9438 4.9: a segment held back on the path longer than the reordering window is retransmitted and the
    /// window cut; when the late original arrives the receiver reports it (DSACK): every retransmission of the episode
    /// was spurious, so the cut is undone. A DSACK for a segment the network duplicated (never retransmitted) proves
    /// nothing: then the cut stays.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AWindowCutIsUndoneOnlyWhenDuplicateSacksShowEveryRetransmissionSpurious(bool lateOriginal)
    {
        var wire = new TcpWire();
        var (client, server, _) = wire.Connect();
        wire.Transfer(client, server, new byte[300_000]); // a window of some size first
        int before = client.CongestionWindow;

        var sent = new List<byte[]>();
        wire.Tap = (toB, packet) => { if (toB && packet.Length > 1000) sent.Add(packet.ToArray()); };
        byte[]? held = null;
        wire.DropFilter = (toB, packet, length) => toB && length > 1000 && held is null && (held = packet.AsSpan(0, length).ToArray()) is not null;
        Assert.Equal(20_000, client.Send(new byte[20_000]));
        wire.Pump();
        for (int i = 0; i < 10 && wire.A.Counters[NetstackCounter.TcpRetransmits] == 0; i++) wire.AdvanceToNextTimer();
        Assert.Equal(1, wire.A.Counters[NetstackCounter.TcpRetransmits]);
        Assert.Equal(1, wire.A.Counters[NetstackCounter.TcpRecoveries]);
        int cut = client.CongestionWindow;
        Assert.True(cut < before, $"cwnd {cut}, before {before}");

        // The held original arrives at last, or (the other case) the network duplicates a segment sent once.
        wire.Inject(wire.B, lateOriginal ? held! : sent[1]); // sent[0] is the held one, sent[1] went once

        Assert.Equal(1, wire.A.Counters[NetstackCounter.TcpDuplicateSacksReceived]);
        if (lateOriginal)
        {
            Assert.True(client.CongestionWindow >= before, $"cwnd {client.CongestionWindow}, before {before}");
            Assert.Equal(1, wire.A.Counters[NetstackCounter.TcpRecoveriesUndone]);
        }
        else
        {
            Assert.True(client.CongestionWindow < before, $"cwnd {client.CongestionWindow}, before {before}");
            Assert.Equal(0, wire.A.Counters[NetstackCounter.TcpRecoveriesUndone]);
        }
    }

    private static byte[] DuplicateSack(TcpWire wire, TcpConnection server, uint ack, uint start, uint end)
    {
        Span<uint> blocks = start == end ? [] : [start, end];
        var fields = new TcpHeaderFields
        {
            SourcePort = 80, DestinationPort = server.RemoteEndPoint.Port, Seq = server.SendNext, Ack = ack,
            Flags = TcpFlags.Ack, Window = 65535, WindowScale = -1, SackBlocks = blocks,
        };
        int tcpHeader = TcpSegmentWriter.HeaderLength(fields);
        var packet = new byte[20 + tcpHeader];
        int tcpLength = TcpSegmentWriter.Write(packet.AsSpan(20), fields, 0, wire.B.Address, wire.A.Address);
        TestIp.WriteIpHeader(packet, wire.B.Address, wire.A.Address, tcpLength);
        return packet;
    }

    /// <summary>Sends everything, half-closes, reads until the FIN; fails when virtual time runs past the limit.</summary>
    internal static byte[] SendCloseAndReadToEnd(TcpWire wire, TcpConnection sender, TcpConnection receiver, byte[] data, long maxTimeMs)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int sent = 0;
        bool closed = false;
        long deadline = wire.Clock.NowMs + maxTimeMs;
        while (true)
        {
            long before = sent + received.Length;
            if (sent < data.Length)
            {
                int n = sender.Send(data.AsSpan(sent));
                Assert.True(n >= -1, $"send failed: {sender.Error}");
                if (n > 0) sent += n;
            }
            if (sent == data.Length && !closed) { sender.ShutdownSend(); closed = true; }
            wire.Pump();
            int r;
            while ((r = receiver.Receive(buffer)) > 0) received.Write(buffer, 0, r);
            Assert.True(r != -2, $"receive failed: {receiver.Error}");
            if (r == 0) return received.ToArray();
            wire.Pump();
            if (sent + received.Length == before)
            {
                Assert.True(wire.Clock.NowMs < deadline, $"no progress: {received.Length} of {data.Length} bytes after {maxTimeMs} ms; sender {sender.DebugState()}");
                if (!wire.AdvanceToNextTimer(maxStepMs: 1000)) wire.Clock.NowMs += 1000;
            }
        }
    }
}
