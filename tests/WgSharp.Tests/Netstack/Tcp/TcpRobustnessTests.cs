using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using WgSharp.Packets;

namespace WgSharp.Tests.Netstack.Tcp;

public class TcpRobustnessTests
{
    private static (TcpWire wire, TcpConnection client, TcpConnection server) Connected(TcpSettings? settings = null)
    {
        var wire = new TcpWire(settings);
        var (client, server, _) = wire.Connect();
        return (wire, client, server);
    }

    [Fact]
    public void Rfc5961_OutOfWindowRstIgnored_InWindowRstChallenged_ExactRstResets()
    {
        var (wire, client, server) = Connected();
        var from = client.LocalEndPoint;
        var to = server.LocalEndPoint;
        uint rcvNxt = server.ReceiveNext;

        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt + 100_000_000, 0, TcpFlags.Rst, 0));
        Assert.Equal(SocketError.Success, server.Error);
        Assert.Equal(1, wire.B.Counters[NetstackCounter.TcpOutOfWindow]);
        Assert.Equal(0, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);

        int acksBefore = wire.PacketsBtoA;
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt + 1, 0, TcpFlags.Rst, 0));
        Assert.Equal(SocketError.Success, server.Error);
        Assert.Equal(1, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);
        Assert.Equal(acksBefore + 1, wire.PacketsBtoA);

        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt, 0, TcpFlags.Rst, 0));
        Assert.Equal(SocketError.ConnectionReset, server.Error);
        Assert.Equal(0, wire.B.Tcp.ConnectionCount);
    }

    [Fact]
    public void Rfc5961_SynInEstablished_GetsChallengeAck_ConnectionSurvives()
    {
        var (wire, client, server) = Connected();
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, server.ReceiveNext + 5, 0, TcpFlags.Syn, 65535, mss: 1000));
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, 12345, 0, TcpFlags.Syn, 65535)); // out of window too
        Assert.Equal(2, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);
        Assert.Equal(SocketError.Success, server.Error);
        var data = new byte[50_000];
        new Random(3).NextBytes(data);
        Assert.Equal(data, wire.Transfer(client, server, data));
    }

    [Fact]
    public void OutOfWindowData_IsIgnoredAndAcked_BadAckIsChallenged()
    {
        var (wire, client, server) = Connected();
        uint rcvNxt = server.ReceiveNext;
        int acksBefore = wire.PacketsBtoA;
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, rcvNxt - 200_000, client.ReceiveNext, TcpFlags.Ack, 1000, new byte[100]));
        Assert.Equal(-1, server.Receive(new byte[100]));
        Assert.Equal(rcvNxt, server.ReceiveNext);
        Assert.Equal(acksBefore + 1, wire.PacketsBtoA); // an ACK tells the sender where we are

        // An ACK of data never sent (beyond SND.NXT): dropped with a challenge ACK, its data not taken.
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, rcvNxt, server.SendNext + 100_000, TcpFlags.Ack, 1000, new byte[100]));
        Assert.Equal(-1, server.Receive(new byte[100]));
        Assert.Equal(1, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);
        Assert.Equal(SocketError.Success, server.Error);
    }

    [Fact]
    public void ChallengeAcks_AreRateLimited()
    {
        var (wire, client, server) = Connected(new TcpSettings { ChallengeAcksPerSecond = 2 });
        for (int i = 0; i < 5; i++)
            wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, server.ReceiveNext + 10 + (uint)i, 0, TcpFlags.Rst, 0));
        Assert.Equal(2, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);
        Assert.Equal(3, wire.B.Counters[NetstackCounter.TcpChallengeAcksLimited]);
        wire.Advance(1000);
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, server.ReceiveNext + 10, 0, TcpFlags.Rst, 0));
        Assert.Equal(3, wire.B.Counters[NetstackCounter.TcpChallengeAcksSent]);
    }

    [Fact]
    public void SynFlood_WithTheBacklogStillFull_AnHonestClientGetsIn()
    {
        // RFC 4987 3.4: the oldest half-open connection makes room for a new SYN, so a flood whose SYN-ACKs go
        // nowhere cannot lock honest clients out until its half-open connections time out.
        var settings = new TcpSettings { SynBacklog = 4, SynRetries = 5 };
        var wire = new TcpWire(settings);
        var (_, _, listener) = wire.Connect();
        wire.BlackHole = true;
        var attacker = UdpEndpoint.Create(new byte[] { 10, 0, 0, 9 }, 0);
        for (int i = 0; i < 20; i++)
        {
            var syn = TestIp.BuildSegment(UdpEndpoint.Create(attacker.AddressSpan, (ushort)(2000 + i)), wire.B.At(80), (uint)(i * 1000), 0, TcpFlags.Syn, 65535);
            Assert.True(TestIp.TryParse(syn, out var info));
            wire.B.Tcp.Input(info);
        }
        wire.Pump();
        Assert.Equal(4, listener.HalfOpenCount);
        wire.BlackHole = false;

        var honest = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        Assert.True(honest.IsEstablished);
        Assert.NotNull(listener.TryAccept());
        Assert.True(listener.HalfOpenCount <= 4, $"half-open {listener.HalfOpenCount}");
    }

    [Fact]
    public void SynFlood_BeyondBacklog_IsCounted_EstablishedConnectionUnaffected()
    {
        var settings = new TcpSettings { SynBacklog = 4, SynRetries = 2 };
        var wire = new TcpWire(settings);
        var (client, server, listener) = wire.Connect();
        wire.BlackHole = true; // the SYN-ACKs go nowhere
        var attacker = UdpEndpoint.Create(new byte[] { 10, 0, 0, 9 }, 0);
        for (int i = 0; i < 20; i++)
        {
            var from = UdpEndpoint.Create(attacker.AddressSpan, (ushort)(2000 + i));
            var syn = TestIp.BuildSegment(from, wire.B.At(80), (uint)(i * 1000), 0, TcpFlags.Syn, 65535);
            Assert.True(TestIp.TryParse(syn, out var info));
            wire.B.Tcp.Input(info);
        }
        wire.Pump();
        Assert.Equal(4, listener.HalfOpenCount);
        Assert.Equal(16, wire.B.Counters[NetstackCounter.TcpSynBacklogFull]);
        wire.BlackHole = false;
        var data = new byte[100_000];
        new Random(1).NextBytes(data);
        Assert.Equal(data, wire.Transfer(client, server, data));

        // The half-open ones time out; then a new connection gets in.
        wire.BlackHole = true;
        wire.Advance(60_000);
        wire.BlackHole = false;
        Assert.Equal(0, listener.HalfOpenCount);
        var second = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        Assert.True(second.IsEstablished);
        Assert.NotNull(listener.TryAccept());
    }

    [Fact]
    public void MaxConnections_BeyondIsRefusedWithRst()
    {
        var wire = new TcpWire(new TcpSettings(), settingsB: new TcpSettings { MaxConnections = 1 });
        var (_, _, _) = wire.Connect();
        var second = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        Assert.Equal(SocketError.ConnectionRefused, second.Error);
        Assert.Equal(1, wire.B.Counters[NetstackCounter.TcpConnectionLimit]);
    }

    [Fact]
    public void AcceptQueueFull_ResetsTheNewConnection()
    {
        var wire = new TcpWire();
        var listener = wire.B.Tcp.Listen(wire.B.At(80), 1);
        var first = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        var second = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        Assert.True(first.IsEstablished);
        Assert.Equal(SocketError.ConnectionReset, second.Error);
        Assert.Equal(1, wire.B.Counters[NetstackCounter.TcpAcceptQueueFull]);
        Assert.NotNull(listener.TryAccept());
        Assert.Null(listener.TryAccept());
    }

    [Fact]
    public void OutOfOrderFlood_IsBoundedByMaxOutOfOrderBytes_AndMergesWhenTheHoleFills()
    {
        var (wire, client, server) = Connected(new TcpSettings { MaxOutOfOrderBytes = 10_000 });
        uint rcvNxt = server.ReceiveNext;
        var payload = new byte[1000];
        for (int i = 0; i < 30; i++)
        {
            payload.AsSpan().Fill((byte)(i + 1));
            wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, rcvNxt + 2000 + (uint)(i * 1000), client.ReceiveNext, TcpFlags.Ack, 1000, payload));
        }
        Assert.Equal(20, wire.B.Counters[NetstackCounter.TcpOutOfOrderDropped]);
        Assert.Equal(-1, server.Receive(new byte[10]));
        // The hole: 2,000 bytes at RCV.NXT; then the 10 held segments follow in order.
        var hole = new byte[2000];
        hole.AsSpan().Fill(0xEE);
        wire.Inject(wire.B, TestIp.BuildSegment(client.LocalEndPoint, server.LocalEndPoint, rcvNxt, client.ReceiveNext, TcpFlags.Ack, 1000, hole));
        Assert.Equal(rcvNxt + 12_000, server.ReceiveNext);
        var buffer = new byte[20_000];
        int n = server.Receive(buffer);
        Assert.Equal(12_000, n);
        Assert.True(buffer.AsSpan(0, 2000).IndexOfAnyExcept((byte)0xEE) < 0);
        for (int i = 0; i < 10; i++) Assert.True(buffer.AsSpan(2000 + i * 1000, 1000).IndexOfAnyExcept((byte)(i + 1)) < 0);
    }

    [Fact]
    public void DuplicateAndOverlappingSegments_DeliverEachByteOnce()
    {
        var (wire, client, server) = Connected();
        uint rcvNxt = server.ReceiveNext;
        var data = new byte[3000];
        new Random(8).NextBytes(data);
        var from = client.LocalEndPoint;
        var to = server.LocalEndPoint;
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt + 1000, client.ReceiveNext, TcpFlags.Ack, 1000, data.AsSpan(1000, 1500)));
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt + 1000, client.ReceiveNext, TcpFlags.Ack, 1000, data.AsSpan(1000, 1500)));
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt, client.ReceiveNext, TcpFlags.Ack, 1000, data.AsSpan(0, 1200)));
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt + 500, client.ReceiveNext, TcpFlags.Ack, 1000, data.AsSpan(500, 2500)));
        wire.Inject(wire.B, TestIp.BuildSegment(from, to, rcvNxt, client.ReceiveNext, TcpFlags.Ack, 1000, data.AsSpan(0, 100)));
        var buffer = new byte[10_000];
        Assert.Equal(3000, server.Receive(buffer));
        Assert.Equal(data, buffer[..3000]);
    }

    [Fact]
    public void IcmpHardErrorWhileConnecting_FailsTheConnect()
    {
        var wire = new TcpWire();
        wire.BlackHole = true;
        var client = wire.A.Tcp.Connect(wire.A.At(0), wire.B.At(80));
        wire.Pump();
        var quoted = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(quoted, client.LocalEndPoint.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(quoted.AsSpan(2), 80);
        // A sequence number we never sent: ignored.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(quoted.AsSpan(4), client.SendUnacknowledged + 1000);
        wire.A.Tcp.OnIcmpError(wire.A.Address, wire.B.Address, quoted, SocketError.HostUnreachable, isHard: true);
        Assert.Equal(SocketError.Success, client.Error);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(quoted.AsSpan(4), client.SendUnacknowledged);
        wire.A.Tcp.OnIcmpError(wire.A.Address, wire.B.Address, quoted, SocketError.HostUnreachable, isHard: true);
        Assert.Equal(SocketError.HostUnreachable, client.Error);
    }

    [Fact]
    public void IcmpSoftError_IsReportedWhenTheConnectionTimesOut()
    {
        var (wire, client, _) = Connected(new TcpSettings { DataRetries = 3 });
        wire.BlackHole = true;
        client.Send(new byte[500]);
        wire.Pump();
        var quoted = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(quoted, client.LocalEndPoint.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(quoted.AsSpan(2), 80);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(quoted.AsSpan(4), client.SendUnacknowledged);
        wire.A.Tcp.OnIcmpError(wire.A.Address, wire.B.Address, quoted, SocketError.NetworkUnreachable, isHard: false);
        Assert.Equal(SocketError.Success, client.Error);
        for (int i = 0; i < 20 && client.Error == SocketError.Success; i++) wire.AdvanceToNextTimer();
        Assert.Equal(SocketError.NetworkUnreachable, client.Error);
    }

    [Fact]
    public void GarbageInput_NeverThrows()
    {
        var (wire, client, server) = Connected();
        var listenerEnd = wire.B;
        var random = new Random(42);
        var from = client.LocalEndPoint;
        var to = server.LocalEndPoint;
        var bytes = new byte[200];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(0, 120);
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                // Random header fields with right ports and a valid checksum, so parsing and the state machine see them.
                byte flags = (byte)random.Next(64);
                uint seq = random.Next(4) == 0 ? server.ReceiveNext + (uint)random.Next(-5, 5) : (uint)random.Next();
                uint ack = random.Next(4) == 0 ? server.SendNext + (uint)random.Next(-5, 5) : (uint)random.Next();
                var packet = TestIp.BuildSegment(from, random.Next(3) == 0 ? wire.B.At(80) : to, seq, ack, flags, (ushort)random.Next(65536), bytes.AsSpan(0, random.Next(0, 50)));
                if (random.Next(3) == 0) packet[20 + 12] = (byte)(random.Next(16) << 4); // bad data offset
                if (random.Next(3) == 0) packet = packet[..random.Next(20, packet.Length + 1)];
                if (TestIp.TryParse(packet, out var parsed)) listenerEnd.Tcp.Input(parsed);
                else
                {
                    var info = new IpPacketInfo { Source = from.AddressSpan, Destination = to.AddressSpan, Protocol = IpProtocol.Tcp, Payload = packet.AsSpan(20) };
                    listenerEnd.Tcp.Input(info);
                }
            }
            else
            {
                var info = new IpPacketInfo { Source = from.AddressSpan, Destination = to.AddressSpan, Protocol = IpProtocol.Tcp, Payload = bytes.AsSpan(0, length) };
                listenerEnd.Tcp.Input(info);
            }
            if (i % 100 == 0) wire.Pump();
        }
        wire.Pump();
        // Options garbage: random option bytes in a well-formed header.
        for (int i = 0; i < 2000; i++)
        {
            var tcp = new byte[60];
            random.NextBytes(tcp);
            tcp[12] = (byte)(random.Next(5, 16) << 4);
            var info = new IpPacketInfo { Source = from.AddressSpan, Destination = to.AddressSpan, Protocol = IpProtocol.Tcp, Payload = tcp };
            Assert.True(TcpSegment.TryParse(tcp, out _) || true);
            listenerEnd.Tcp.Input(info);
        }
        Assert.True(wire.B.Counters[NetstackCounter.TcpChecksumFailed] > 0);
        Assert.True(wire.B.Counters[NetstackCounter.TcpMalformed] > 0);
    }
}
