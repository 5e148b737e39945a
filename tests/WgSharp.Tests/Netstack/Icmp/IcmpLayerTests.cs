using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Icmp;
using WgSharp.Packets;
using WgSharp.Tests.Netstack.Ip;
using Xunit;
using static WgSharp.Tests.Netstack.Ip.TestPackets;

namespace WgSharp.Tests.Netstack.Icmp;

public class IcmpLayerTests
{
    private sealed class RecordingSink : IIcmpErrorSink
    {
        public List<(byte[] Source, byte[] Destination, byte[] Transport, SocketError Error, bool IsHard)> Errors { get; } = [];

        public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard) =>
            Errors.Add((quotedSource.ToArray(), quotedDestination.ToArray(), quotedTransport.ToArray(), error, isHard));
    }

    private static (FakeHost Host, IcmpLayer Icmp, RecordingSink Tcp, RecordingSink Udp) Create()
    {
        var host = new FakeHost();
        RecordingSink tcp = new(), udp = new();
        return (host, new IcmpLayer(host, tcp, udp), tcp, udp);
    }

    private static byte[] Local(bool v6) => v6 ? FakeHost.LocalV6 : FakeHost.LocalV4;
    private static byte[] Remote(bool v6) => v6 ? FakeHost.RemoteV6 : FakeHost.RemoteV4;

    private static bool ChecksumOk(in IpPacketInfo ip)
    {
        ulong sum = ip.IsIPv6 ? InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Icmpv6, ip.Payload.Length) : 0;
        return InternetChecksum.Fold(InternetChecksum.Add(sum, ip.Payload)) == 0xFFFF;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EchoRequest_Answered(bool v6)
    {
        var (host, icmp, _, _) = Create();
        byte[] rest = [0x12, 0x34, 0x00, 0x07, 1, 2, 3, 4, 5]; // id, seq, data (odd length)
        icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), v6 ? (byte)128 : (byte)8, 0, rest)));
        var reply = Read(Assert.Single(host.Sent));
        Assert.Equal(Local(v6), reply.Source.ToArray());
        Assert.Equal(Remote(v6), reply.Destination.ToArray());
        Assert.Equal(v6 ? 129 : 0, reply.Payload[0]);
        Assert.Equal(0, reply.Payload[1]);
        Assert.Equal(rest, reply.Payload[4..].ToArray());
        Assert.True(ChecksumOk(reply));
        Assert.Equal(1, host.Counters[NetstackCounter.IcmpEchoRequestsAnswered]);
    }

    [Fact]
    public void EchoRequest_BadChecksum_Dropped()
    {
        var (host, icmp, _, _) = Create();
        var packet = IcmpPacket(FakeHost.RemoteV6, FakeHost.LocalV6, 128, 0, [0, 1, 0, 1]);
        packet[^1] ^= 0xFF;
        icmp.Input(Read(packet));
        // ICMPv6 without the pseudo-header would be wrong: a v4-style checksum over an ICMPv6 message is refused.
        var v4Style = IcmpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 128, 0, [0, 1, 0, 1]);
        icmp.Input(Read(IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Icmpv6, Read(v4Style).Payload)));
        Assert.Empty(host.Sent);
        Assert.Equal(2, host.Counters[NetstackCounter.IcmpMalformed]);
    }

    [Fact]
    public void EchoRequests_RateLimited()
    {
        var (host, icmp, _, _) = Create();
        var request = IcmpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 8, 0, [0, 1, 0, 1]);
        for (int i = 0; i < IcmpLayer.EchoRepliesPerSecond + 10; i++) icmp.Input(Read(request));
        Assert.Equal(IcmpLayer.EchoRepliesPerSecond, host.Sent.Count);
        Assert.Equal(10, host.Counters[NetstackCounter.IcmpRateLimited]);
        host.NowMs += 5;
        for (int i = 0; i < 10; i++) icmp.Input(Read(request));
        Assert.Equal(IcmpLayer.EchoRepliesPerSecond + 5, host.Sent.Count);
    }

    private static (ushort Id, ushort Sequence, byte[] Packet) TakeRequest(FakeHost host)
    {
        var packet = host.Sent[^1];
        var ip = Read(packet);
        Assert.True(ChecksumOk(ip));
        return (BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[4..]), BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[6..]), packet);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ping_ReplyGivesRtt(bool v6)
    {
        var (host, icmp, _, _) = Create();
        var ping = icmp.PingAsync(default, UdpEndpoint.Create(Remote(v6), 0), 16, TimeSpan.FromSeconds(5), CancellationToken.None);
        var (id, sequence, request) = TakeRequest(host);
        Assert.Equal(icmp.PingId, id);
        Assert.Equal(Local(v6), Read(request).Source.ToArray());
        Assert.Equal(8 + 16, Read(request).Payload.Length);
        host.NowMs += 37;
        var echoed = Read(request).Payload[4..].ToArray();
        // A reply from another address, or with another sequence, is not ours.
        icmp.Input(Read(IcmpPacket(v6 ? [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9] : [10, 0, 0, 9], Local(v6), v6 ? (byte)129 : (byte)0, 0, echoed)));
        Assert.False(ping.IsCompleted);
        icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), v6 ? (byte)129 : (byte)0, 0, echoed)));
        Assert.Equal(TimeSpan.FromMilliseconds(37), await ping);

        var second = icmp.PingAsync(default, UdpEndpoint.Create(Remote(v6), 0), 0, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal((ushort)(sequence + 1), TakeRequest(host).Sequence);
        icmp.Dispose();
        Assert.Equal(SocketError.OperationAborted, (await Assert.ThrowsAsync<SocketException>(() => second)).SocketErrorCode);
    }

    [Fact]
    public async Task Ping_Timeout_ByTheClock()
    {
        var (host, icmp, _, _) = Create();
        var ping = icmp.PingAsync(default, UdpEndpoint.Create(FakeHost.RemoteV4, 0), 8, TimeSpan.FromMilliseconds(1000), CancellationToken.None);
        var (socket, deadline) = Assert.Single(host.Timers);
        Assert.Equal(host.NowMs + 1000, deadline);
        socket.OnTimer(host.NowMs + 999);
        Assert.False(ping.IsCompleted);
        socket.OnTimer(host.NowMs + 1000);
        Assert.Equal(SocketError.TimedOut, (await Assert.ThrowsAsync<SocketException>(() => ping)).SocketErrorCode);
    }

    [Fact]
    public async Task Ping_Cancelled()
    {
        var (_, icmp, _, _) = Create();
        using var cancellation = new CancellationTokenSource();
        var ping = icmp.PingAsync(default, UdpEndpoint.Create(FakeHost.RemoteV4, 0), 8, TimeSpan.FromSeconds(5), cancellation.Token);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ping);
    }

    [Fact]
    public void Ping_NoRoute_NetworkUnreachable_AndTableBounded()
    {
        var (host, icmp, _, _) = Create();
        host.Routed = _ => false;
        var ex = Assert.Throws<SocketException>(() => { _ = icmp.PingAsync(default, UdpEndpoint.Create(FakeHost.RemoteV4, 0), 8, TimeSpan.FromSeconds(5), CancellationToken.None); });
        Assert.Equal(SocketError.NetworkUnreachable, ex.SocketErrorCode);
        host.Routed = _ => true;
        for (int i = 0; i < IcmpLayer.MaxOutstandingPings; i++)
            _ = icmp.PingAsync(default, UdpEndpoint.Create(FakeHost.RemoteV4, 0), 8, TimeSpan.FromSeconds(5), CancellationToken.None);
        ex = Assert.Throws<SocketException>(() => { _ = icmp.PingAsync(default, UdpEndpoint.Create(FakeHost.RemoteV4, 0), 8, TimeSpan.FromSeconds(5), CancellationToken.None); });
        Assert.Equal(SocketError.NoBufferSpaceAvailable, ex.SocketErrorCode);
    }

    [Theory]
    [InlineData(false, (byte)3, (byte)1, SocketError.HostUnreachable)]
    [InlineData(false, (byte)3, (byte)0, SocketError.NetworkUnreachable)]
    [InlineData(true, (byte)1, (byte)0, SocketError.NetworkUnreachable)]
    [InlineData(true, (byte)1, (byte)3, SocketError.HostUnreachable)]
    public async Task Ping_Unreachable_SocketException(bool v6, byte type, byte code, SocketError expected)
    {
        var (host, icmp, _, _) = Create();
        var ping = icmp.PingAsync(default, UdpEndpoint.Create(Remote(v6), 0), 8, TimeSpan.FromSeconds(5), CancellationToken.None);
        var request = TakeRequest(host).Packet;
        byte[] router = v6 ? [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99] : [10, 0, 0, 99];
        icmp.Input(Read(IcmpPacket(router, Local(v6), type, code, [0, 0, 0, 0, .. request])));
        Assert.Equal(expected, (await Assert.ThrowsAsync<SocketException>(() => ping)).SocketErrorCode);
    }

    public static TheoryData<bool, byte, byte, byte, SocketError, bool> ErrorCases => new()
    {
        { false, 3, 0, IpProtocol.Udp, SocketError.NetworkUnreachable, false },
        { false, 3, 1, IpProtocol.Tcp, SocketError.HostUnreachable, false },
        { false, 3, 2, IpProtocol.Tcp, SocketError.ConnectionRefused, true },
        { false, 3, 3, IpProtocol.Udp, SocketError.ConnectionRefused, true },
        { false, 3, 13, IpProtocol.Tcp, SocketError.HostUnreachable, true },
        { false, 11, 0, IpProtocol.Udp, SocketError.HostUnreachable, false },
        { true, 1, 0, IpProtocol.Tcp, SocketError.NetworkUnreachable, false },
        { true, 1, 1, IpProtocol.Udp, SocketError.HostUnreachable, true },
        { true, 1, 3, IpProtocol.Tcp, SocketError.HostUnreachable, false },
        { true, 1, 4, IpProtocol.Udp, SocketError.ConnectionRefused, true },
        { true, 3, 0, IpProtocol.Tcp, SocketError.HostUnreachable, false },
    };

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void Error_DispatchedToTheQuotedProtocol(bool v6, byte type, byte code, byte protocol, SocketError expected, bool hard)
    {
        var (host, icmp, tcp, udp) = Create();
        // The quote: the packet we sent, truncated to its header and 8 transport bytes (plus a little).
        byte[] transport = [0x11, 0x5C, 0x00, 0x35, 1, 2, 3, 4, 5, 6, 7, 8];
        var sent = v6 ? IPv6(Local(v6), Remote(v6), protocol, transport) : IPv4(Local(v6), Remote(v6), protocol, transport);
        var quote = sent.AsSpan(0, sent.Length - 4).ToArray();
        icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), type, code, [0, 0, 0, 0, .. quote])));
        var sink = protocol == IpProtocol.Tcp ? tcp : udp;
        var other = protocol == IpProtocol.Tcp ? udp : tcp;
        var (source, destination, quotedTransport, error, isHard) = Assert.Single(sink.Errors);
        Assert.Empty(other.Errors);
        Assert.Equal(Local(v6), source);
        Assert.Equal(Remote(v6), destination);
        Assert.Equal(transport[..8], quotedTransport[..8]);
        Assert.Equal(expected, error);
        Assert.Equal(hard, isHard);
        Assert.Equal(1, host.Counters[NetstackCounter.IcmpErrorsReceived]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Error_QuoteTooShortOrNotOurs_Malformed(bool v6)
    {
        var (host, icmp, tcp, udp) = Create();
        var sent = v6 ? IPv6(Local(v6), Remote(v6), IpProtocol.Udp, new byte[8]) : IPv4(Local(v6), Remote(v6), IpProtocol.Udp, new byte[8]);
        icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), v6 ? (byte)1 : (byte)3, v6 ? (byte)4 : (byte)3, [0, 0, 0, 0, .. sent.AsSpan(0, sent.Length - 1)])));
        var notOurs = v6 ? IPv6(Remote(v6), Local(v6), IpProtocol.Udp, new byte[8]) : IPv4(Remote(v6), Local(v6), IpProtocol.Udp, new byte[8]);
        icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), v6 ? (byte)1 : (byte)3, v6 ? (byte)4 : (byte)3, [0, 0, 0, 0, .. notOurs])));
        Assert.Empty(udp.Errors);
        Assert.Empty(tcp.Errors);
        Assert.Equal(2, host.Counters[NetstackCounter.IcmpMalformed]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortUnreachable_QuotesWithinTheLimit(bool v6)
    {
        var (host, icmp, _, _) = Create();
        var offending = UdpPacket(Remote(v6), Local(v6), 1, 7, new byte[1300]);
        icmp.SendPortUnreachable(offending);
        var error = Read(Assert.Single(host.Sent));
        Assert.Equal(v6 ? 1280 : 576, error.Packet.Length);
        Assert.True(ChecksumOk(error));
        Assert.Equal(offending.AsSpan(0, error.Payload.Length - 8).ToArray(), error.Payload[8..].ToArray());
    }

    [Fact]
    public void PortUnreachable_NeverForErrorsMulticastOrBroadcast_AndRateLimited()
    {
        var (host, icmp, _, _) = Create();
        icmp.SendPortUnreachable(IcmpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 3, 3, new byte[32]));
        icmp.SendPortUnreachable(IcmpPacket(FakeHost.RemoteV6, FakeHost.LocalV6, 1, 4, new byte[52]));
        icmp.SendPortUnreachable(UdpPacket(FakeHost.RemoteV4, [224, 0, 0, 251], 1, 5353, new byte[4]));
        icmp.SendPortUnreachable(UdpPacket(FakeHost.RemoteV4, [255, 255, 255, 255], 1, 67, new byte[4]));
        icmp.SendPortUnreachable(UdpPacket([0, 0, 0, 0], FakeHost.LocalV4, 68, 67, new byte[4]));
        icmp.SendPortUnreachable(UdpPacket(FakeHost.RemoteV6, [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb], 1, 5353, new byte[4]));
        Assert.Empty(host.Sent);

        var offending = UdpPacket(FakeHost.RemoteV4, FakeHost.LocalV4, 1, 7, new byte[4]);
        for (int i = 0; i < IcmpLayer.ErrorBurst + 5; i++) icmp.SendPortUnreachable(offending);
        Assert.Equal(IcmpLayer.ErrorBurst, host.Sent.Count);
        Assert.Equal(IcmpLayer.ErrorBurst, host.Counters[NetstackCounter.IcmpErrorsSent]);
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        var (_, icmp, _, _) = Create();
        var random = new Random(7);
        var body = new byte[80];
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(body);
            bool v6 = (i & 1) == 1;
            byte type = v6 ? (byte)random.Next(1, 4) : (new byte[] { 3, 11, 0, 8 })[random.Next(4)];
            if (random.Next(2) == 0) body[4] = v6 ? (byte)0x60 : (byte)0x45;
            icmp.Input(Read(IcmpPacket(Remote(v6), Local(v6), type, (byte)random.Next(16), body.AsSpan(0, random.Next(body.Length)))));
        }
    }
}
