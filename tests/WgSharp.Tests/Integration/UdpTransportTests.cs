using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

/// <summary>UdpTransport on loopback: both families, endpoints, rebind, close, fwmark and zero allocation.</summary>
public class UdpTransportTests
{
    private static UdpEndpoint Loopback(UdpFamily family, ushort port) =>
        UdpEndpoint.FromIPEndPoint(new IPEndPoint(family == UdpFamily.IPv4 ? IPAddress.Loopback : IPAddress.IPv6Loopback, port));

    private static Socket ClientSocket(UdpFamily family)
    {
        var socket = family == UdpFamily.IPv4
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(family == UdpFamily.IPv4 ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    [Theory]
    [InlineData((int)UdpFamily.IPv4)]
    [InlineData((int)UdpFamily.IPv6)]
    public void ReceivesWithSenderEndpointAndRepliesToIt(int familyNumber) // int: UdpFamily is internal
    {
        var family = (UdpFamily)familyNumber;
        using var transport = new UdpTransport();
        var port = transport.Bind(0);
        Assert.NotEqual(0, port);
        Assert.True(transport.HasIPv4);
        Assert.True(transport.HasIPv6);
        using var client = ClientSocket(family);

        client.SendTo("hello"u8.ToArray(), Loopback(family, port).ToIPEndPoint());
        var buffer = new byte[1500];
        var length = transport.Receive(family, buffer, out var from);

        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, length));
        Assert.Equal(UdpEndpoint.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!), from);

        transport.Send("world"u8, from);
        var reply = new byte[100];
        EndPoint sender = new IPEndPoint(family == UdpFamily.IPv4 ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var replyLength = client.ReceiveFrom(reply, ref sender);
        Assert.Equal("world", System.Text.Encoding.ASCII.GetString(reply, 0, replyLength));
        Assert.Equal(port, ((IPEndPoint)sender).Port);
    }

    [Fact]
    public void BindsBothFamiliesToTheRequestedPortAndReportsConflicts()
    {
        using var first = new UdpTransport();
        var port = first.Bind(0);
        using var second = new UdpTransport();
        var error = Assert.Throws<SocketException>(() => second.Bind(port));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        Assert.False(second.IsBound);

        first.Dispose();
        Assert.Equal(port, second.Bind(port));
    }

    [Fact]
    public void SendAndReceiveDoNotAllocate()
    {
        using var a = new UdpTransport();
        using var b = new UdpTransport();
        var portB = b.Bind(0);
        a.Bind(0);
        var toB4 = Loopback(UdpFamily.IPv4, portB);
        var toB6 = Loopback(UdpFamily.IPv6, portB);
        var packet = new byte[1200];
        var buffer = new byte[2048];

        void Round(int i)
        {
            var (to, family) = (i & 1) == 0 ? (toB4, UdpFamily.IPv4) : (toB6, UdpFamily.IPv6);
            packet[0] = (byte)i;
            a.Send(packet, to);
            var n = b.Receive(family, buffer, out var from);
            if (n != packet.Length || buffer[0] != (byte)i)
                throw new InvalidOperationException("wrong datagram");
            b.Send(buffer.AsSpan(0, n), from);
            if (a.Receive(family, buffer, out _) != packet.Length)
                throw new InvalidOperationException("wrong reply");
        }

        for (var i = 0; i < 100; i++)
            Round(i); // warm up: JIT, thread-static socket addresses
        // 20,000 sends and receives per window: any per-packet allocation would be kilobytes in every window.
        long fewest = Allocations.FewestPerWindow(3, 5_000, Round);
        Assert.True(fewest < 1024, $"{fewest} bytes allocated in 5,000 rounds");
    }

    [Fact]
    public void BlockedReaderFollowsRebindAndOldPortIsReleased()
    {
        using var transport = new UdpTransport();
        var oldPort = transport.Bind(0);
        (int Length, byte First) received = default;
        var reader = new Thread(() =>
        {
            var buffer = new byte[100];
            var n = transport.Receive(UdpFamily.IPv4, buffer, out _);
            received = (n, buffer[0]);
        });
        reader.Start();
        Thread.Sleep(100); // let it block on the old socket

        var newPort = transport.Rebind(0);
        Assert.NotEqual(oldPort, newPort);
        Assert.Equal(newPort, transport.Port);
        using var client = ClientSocket(UdpFamily.IPv4);
        client.SendTo(new byte[] { 42 }, Loopback(UdpFamily.IPv4, newPort).ToIPEndPoint());

        Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "reader did not get the datagram sent to the new port");
        Assert.Equal((1, (byte)42), received);

        // The old port is free again: another socket can take it.
        using var taker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taker.Bind(new IPEndPoint(IPAddress.Any, oldPort));
    }

    [Fact]
    public void FailedRebindKeepsTheCurrentSockets()
    {
        using var busy = new UdpTransport();
        var busyPort = busy.Bind(0);
        using var transport = new UdpTransport();
        var port = transport.Bind(0);

        Assert.Throws<SocketException>(() => transport.Rebind(busyPort));

        Assert.Equal(port, transport.Port);
        using var client = ClientSocket(UdpFamily.IPv6);
        client.SendTo(new byte[] { 7 }, Loopback(UdpFamily.IPv6, port).ToIPEndPoint());
        var buffer = new byte[10];
        Assert.Equal(1, transport.Receive(UdpFamily.IPv6, buffer, out _));
    }

    [Fact]
    public void DisposeWakesBlockedReaders()
    {
        var transport = new UdpTransport();
        transport.Bind(0);
        var results = new int[2];
        var readers = new[] { UdpFamily.IPv4, UdpFamily.IPv6 }.Select(family => new Thread(() =>
            results[(int)family] = transport.Receive(family, new byte[100], out _))).ToArray();
        foreach (var reader in readers)
            reader.Start();
        Thread.Sleep(100);

        transport.Dispose();

        foreach (var reader in readers)
            Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "reader still blocked after Dispose");
        Assert.Equal(new[] { -1, -1 }, results);
        Assert.Equal(-1, transport.Receive(UdpFamily.IPv4, new byte[10], out _));
        Assert.NotEqual(SocketError.Success, transport.TrySend(new byte[1], Loopback(UdpFamily.IPv4, 9)));
    }

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void FwMarkIsSetOnBothSocketsAndSurvivesRebind()
    {
        using var transport = new UdpTransport();
        transport.Bind(0);
        transport.SetFwMark(0x51820);
        Assert.Equal(0x51820u, transport.ReadFwMark(UdpFamily.IPv4));
        Assert.Equal(0x51820u, transport.ReadFwMark(UdpFamily.IPv6));

        transport.Rebind(0);
        Assert.Equal(0x51820u, transport.ReadFwMark(UdpFamily.IPv4));

        transport.SetFwMark(0);
        Assert.Equal(0u, transport.ReadFwMark(UdpFamily.IPv6));
    }

    [Fact]
    public void SendToUnreachableReportsErrorWithoutThrowing()
    {
        using var transport = new UdpTransport();
        transport.Bind(0);
        Assert.Equal(SocketError.DestinationAddressRequired, transport.TrySend(new byte[1], default));
        Assert.Throws<SocketException>(() => transport.Send(new byte[1], default));
    }
}
