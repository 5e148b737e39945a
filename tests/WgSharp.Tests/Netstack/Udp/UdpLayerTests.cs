using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Icmp;
using WgSharp.Netstack.Udp;
using WgSharp.Packets;
using WgSharp.Tests.Netstack.Ip;
using Xunit;
using static WgSharp.Tests.Netstack.Ip.TestPackets;

namespace WgSharp.Tests.Netstack.Udp;

public class UdpLayerTests
{
    private static readonly byte[] Data = [10, 20, 30, 40, 50];

    private sealed class NoSink : IIcmpErrorSink
    {
        public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard) { }
    }

    private static (FakeHost Host, UdpLayer Udp) Create(UdpSettings? settings = null)
    {
        var host = new FakeHost();
        var udp = new UdpLayer(host, settings ?? new UdpSettings());
        udp.Icmp = new IcmpLayer(host, new NoSink(), udp);
        return (host, udp);
    }

    private static void Input(UdpLayer udp, byte[] packet) => udp.Input(Read(packet));

    [Fact]
    public void Bind_Specific_Ephemeral_InUse()
    {
        var (_, udp) = Create();
        var a = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 5000));
        Assert.Equal(5000, a.LocalEndPoint.Port);
        var ex = Assert.Throws<SocketException>(() => udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 5000)));
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
        Assert.Throws<SocketException>(() => udp.Bind(UdpEndpoint.Create(new byte[4], 5000))); // wildcard over a specific
        udp.Bind(UdpEndpoint.Create(FakeHost.LocalV6, 5000)); // the other family is free

        var ports = new HashSet<int>();
        for (int i = 0; i < 50; i++)
        {
            var socket = udp.Bind(UdpEndpoint.Create(new byte[4], 0));
            Assert.InRange(socket.LocalEndPoint.Port, 49152, 65535);
            Assert.True(ports.Add(socket.LocalEndPoint.Port));
        }
        a.Close();
        udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 5000)); // free again after close
    }

    [Fact]
    public void Bind_NotOurAddress_AddressNotAvailable()
    {
        var (_, udp) = Create();
        var ex = Assert.Throws<SocketException>(() => udp.Bind(UdpEndpoint.Create([10, 9, 9, 9], 1)));
        Assert.Equal(SocketError.AddressNotAvailable, ex.SocketErrorCode);
    }

    [Fact]
    public void Bind_BeyondLimit_TooManyOpenSockets()
    {
        var (_, udp) = Create(new UdpSettings { MaxSockets = 2 });
        udp.Bind(default);
        udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 0));
        var ex = Assert.Throws<SocketException>(() => udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 0)));
        Assert.Equal(SocketError.TooManyOpenSockets, ex.SocketErrorCode);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void SendTo_Produce_WritesExactPacket(int addressLength)
    {
        var (host, udp) = Create();
        var local = addressLength == 4 ? FakeHost.LocalV4 : FakeHost.LocalV6;
        var remote = addressLength == 4 ? FakeHost.RemoteV4 : FakeHost.RemoteV6;
        var socket = udp.Bind(UdpEndpoint.Create(new byte[addressLength], 4444)); // unspecified: the source is selected
        Assert.Equal(SocketError.Success, socket.SendTo(Data, UdpEndpoint.Create(remote, 53)));
        Assert.Same(socket, Assert.Single(host.OutputRequests));

        var buffer = new byte[host.Mtu];
        int length = socket.Produce(buffer, host.NowMs);
        var expected = UdpPacket(local, remote, 4444, 53, Data);
        if (addressLength == 4) { expected[4] = 0; expected[5] = 0; expected[6] = 0x40; FixIPv4Checksum(expected); } // ID 0, DF
        Assert.Equal(expected, buffer.AsSpan(0, length).ToArray());
        var ip = Read(buffer[..length]);
        Assert.True(UdpLayer.ChecksumValid(ip.Source, ip.Destination, ip.Payload));
        Assert.Equal(0, socket.Produce(buffer, host.NowMs));
    }

    [Fact]
    public void SendTo_Errors()
    {
        var (host, udp) = Create(new UdpSettings { SendQueueBytes = DatagramQueue.EntryOverhead + 2048 });
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 4444));
        var remote = UdpEndpoint.Create(FakeHost.RemoteV4, 53);
        Assert.Equal(SocketError.MessageSize, socket.SendTo(new byte[host.Mtu - 27], remote));
        Assert.Equal(SocketError.Success, socket.SendTo(new byte[host.Mtu - 28], remote));
        Assert.Equal(SocketError.NoBufferSpaceAvailable, socket.SendTo(new byte[host.Mtu - 28], remote));
        Assert.Equal(SocketError.NetworkUnreachable, socket.SendTo(Data, UdpEndpoint.Create(FakeHost.RemoteV6, 53)));
        host.Routed = _ => false;
        Assert.Equal(SocketError.NetworkUnreachable, socket.SendTo(Data, remote));
        socket.Close();
        host.Routed = _ => true;
        Assert.Equal(SocketError.OperationAborted, socket.SendTo(Data, remote));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void Input_Delivered_ReceiveFrom(int addressLength)
    {
        var (host, udp) = Create();
        var local = addressLength == 4 ? FakeHost.LocalV4 : FakeHost.LocalV6;
        var remote = addressLength == 4 ? FakeHost.RemoteV4 : FakeHost.RemoteV6;
        var socket = udp.Bind(UdpEndpoint.Create(local, 7));
        var buffer = new byte[100];
        Assert.Equal(-1, socket.ReceiveFrom(buffer, out _));
        Input(udp, UdpPacket(remote, local, 999, 7, Data));
        Assert.True(socket.ReceiveSignal.WaitAsync().IsCompletedSuccessfully);
        Assert.Equal(Data.Length, socket.ReceiveFrom(buffer, out var from));
        Assert.Equal(Data, buffer[..Data.Length]);
        Assert.Equal(UdpEndpoint.Create(remote, 999), from);

        Input(udp, UdpPacket(remote, local, 999, 7, Data));
        Assert.Equal(2, socket.ReceiveFrom(buffer.AsSpan(0, 2), out _)); // a longer datagram is cut
        Assert.Equal(-1, socket.ReceiveFrom(buffer, out _));
        socket.Close();
        Assert.Equal(-2, socket.ReceiveFrom(buffer, out _));
        Assert.Equal(0, host.Counters[NetstackCounter.UdpMalformed] + host.Counters[NetstackCounter.UdpChecksumFailed]);
    }

    [Fact]
    public void Input_WildcardAndDualStack_Demux()
    {
        var (_, udp) = Create();
        var v6Any = udp.Bind(UdpEndpoint.Create(new byte[16], 9));
        Input(udp, UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 9, Data));
        Input(udp, UdpPacket(FakeHost.RemoteV6, FakeHost.LocalV6, 1, 9, Data));
        var buffer = new byte[16];
        Assert.Equal(Data.Length, v6Any.ReceiveFrom(buffer, out var first));
        Assert.True(first.IsIPv4);
        Assert.Equal(Data.Length, v6Any.ReceiveFrom(buffer, out var second));
        Assert.True(second.IsIPv6);
    }

    [Fact]
    public void Input_ReceiveQueueFull_DroppedAndCounted()
    {
        var (host, udp) = Create(new UdpSettings { ReceiveQueueBytes = 4 * (DatagramQueue.EntryOverhead + 8) });
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        for (int i = 0; i < 10; i++) Input(udp, UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, Data));
        Assert.Equal(6, host.Counters[NetstackCounter.UdpReceiveQueueFull]);
        int received = 0;
        while (socket.ReceiveFrom(new byte[16], out _) >= 0) received++;
        Assert.Equal(4, received);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void Input_NoSocket_PortUnreachableSent(int addressLength)
    {
        var (host, udp) = Create();
        var local = addressLength == 4 ? FakeHost.LocalV4 : FakeHost.LocalV6;
        var remote = addressLength == 4 ? FakeHost.RemoteV4 : FakeHost.RemoteV6;
        var offending = UdpPacket(remote, local, 1234, 7, Data);
        Input(udp, offending);
        Assert.Equal(1, host.Counters[NetstackCounter.UdpNoSocket]);
        var error = Read(Assert.Single(host.Sent));
        Assert.Equal(local, error.Source.ToArray());
        Assert.Equal(remote, error.Destination.ToArray());
        Assert.Equal(addressLength == 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6, error.Protocol);
        Assert.Equal(addressLength == 4 ? 3 : 1, error.Payload[0]);
        Assert.Equal(addressLength == 4 ? 3 : 4, error.Payload[1]);
        Assert.Equal(offending, error.Payload[8..].ToArray());
        Assert.Equal(1, host.Counters[NetstackCounter.IcmpErrorsSent]);
    }

    [Fact]
    public void Input_BadChecksums_Dropped()
    {
        var (host, udp) = Create();
        var v4 = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        var v6 = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV6, 7));
        Input(udp, UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, Data, checksum: 0x1234));
        Input(udp, UdpPacket(FakeHost.RemoteV6, FakeHost.LocalV6, 1, 7, Data, checksum: 0x1234));
        Input(udp, UdpPacket(FakeHost.RemoteV6, FakeHost.LocalV6, 1, 7, Data, checksum: 0)); // IPv6: mandatory
        Assert.Equal(3, host.Counters[NetstackCounter.UdpChecksumFailed]);
        Assert.Equal(-1, v6.ReceiveFrom(new byte[16], out _));
        Assert.Equal(-1, v4.ReceiveFrom(new byte[16], out _));

        Input(udp, UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, Data, checksum: 0)); // IPv4: none
        Assert.Equal(Data.Length, v4.ReceiveFrom(new byte[16], out _));
        Assert.Equal(3, host.Counters[NetstackCounter.UdpChecksumFailed]);
    }

    [Theory]
    [InlineData(7)]   // shorter than the header
    [InlineData(100)] // beyond the IP payload
    public void Input_BadLengthField_Malformed(int udpLength)
    {
        var (host, udp) = Create();
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        var datagram = TestPackets.Udp(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, Data, checksum: 0);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)udpLength);
        Input(udp, IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, datagram));
        Input(udp, IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, datagram.AsSpan(0, 5)));
        Assert.Equal(2, host.Counters[NetstackCounter.UdpMalformed]);
        Assert.Equal(-1, socket.ReceiveFrom(new byte[16], out _));
    }

    [Fact]
    public void Input_LengthFieldShorterThanPayload_Trimmed()
    {
        var (_, udp) = Create();
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        var datagram = TestPackets.Udp(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, Data);
        var padded = datagram.Concat(new byte[] { 0xEE, 0xEE }).ToArray();
        Input(udp, IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, padded));
        Assert.Equal(Data.Length, socket.ReceiveFrom(new byte[16], out _));
    }

    [Fact]
    public void IcmpError_RememberedOnce_AndSignalled()
    {
        var (_, udp) = Create();
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 4444));
        var quoted = TestPackets.Udp(FakeHost.LocalV4, FakeHost.RemoteV4, 4444, 53, Data);
        udp.OnIcmpError(FakeHost.LocalV4, FakeHost.RemoteV4, quoted, SocketError.ConnectionRefused, isHard: true);
        Assert.True(socket.ReceiveSignal.WaitAsync().IsCompletedSuccessfully);
        Assert.Equal(SocketError.ConnectionRefused, socket.TakePendingError());
        Assert.Equal(SocketError.Success, socket.TakePendingError());
        udp.OnIcmpError(FakeHost.LocalV4, FakeHost.RemoteV4, quoted.AsSpan(0, 2), SocketError.ConnectionRefused, isHard: true); // too short: ignored
        Assert.Equal(SocketError.Success, socket.TakePendingError());
    }

    [Fact]
    public void Dispose_ClosesSockets()
    {
        var (_, udp) = Create();
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        udp.Dispose();
        Assert.Equal(-2, socket.ReceiveFrom(new byte[4], out _));
        Assert.True(socket.ReceiveSignal.WaitAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public void SteadyState_SendAndReceive_AllocateNothing()
    {
        var (host, udp) = Create();
        var socket = udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        var incoming = UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, new byte[512]);
        var remote = UdpEndpoint.Create(FakeHost.RemoteV4, 53);
        var payload = new byte[512];
        var buffer = new byte[host.Mtu];
        void Round()
        {
            for (int i = 0; i < 4; i++)
            {
                IpPacketReader.TryRead(incoming, out var ip);
                udp.Input(ip);
            }
            for (int i = 0; i < 4; i++) socket.ReceiveFrom(buffer, out _);
            for (int i = 0; i < 4; i++) socket.SendTo(payload, remote);
            while (socket.Produce(buffer, 0) > 0) { }
        }
        for (int i = 0; i < 100; i++) Round();
        host.OutputRequests.Clear();
        host.OutputRequests.Capacity = 10_000;
        long fewest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 500; i++) Round();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            host.OutputRequests.Clear();
        }
        Assert.Equal(0, fewest);
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        var (_, udp) = Create();
        udp.Bind(UdpEndpoint.Create(FakeHost.LocalV4, 7));
        var random = new Random(99);
        var datagram = new byte[64];
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(datagram);
            if ((i & 1) == 0) BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), 7);
            var length = random.Next(datagram.Length);
            udp.Input(Read(IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, datagram.AsSpan(0, length))));
        }
    }
}
