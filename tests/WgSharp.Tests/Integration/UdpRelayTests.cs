using System.Net;
using System.Net.Sockets;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

/// <summary>The fault relay itself, on loopback: forwarding both ways and the configured faults.</summary>
public class UdpRelayTests
{
    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 2000;
        return socket;
    }

    private static List<int> ReceiveAll(Socket socket, TimeSpan quiet)
    {
        var seen = new List<int>();
        var buffer = new byte[16];
        socket.ReceiveTimeout = (int)quiet.TotalMilliseconds;
        while (true)
        {
            try
            {
                socket.Receive(buffer);
                seen.Add(BitConverter.ToInt32(buffer, 0));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                return seen;
            }
        }
    }

    [Fact]
    public void ForwardsToTargetAndRepliesToTheClient()
    {
        using var target = Bound();
        using var client = Bound();
        using var relay = new UdpRelay(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)target.LocalEndPoint!);

        client.SendTo("ping"u8.ToArray(), relay.ListenEndPoint);
        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        Assert.Equal(4, target.ReceiveFrom(buffer, ref from));
        target.SendTo("pong"u8.ToArray(), from);
        Assert.Equal(4, client.Receive(buffer));
        Assert.Equal("pong"u8.ToArray(), buffer[..4]);
    }

    [Fact]
    public void AppliesDropDuplicateAndReorderFaults()
    {
        using var target = Bound();
        using var client = Bound();
        using var relay = new UdpRelay(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)target.LocalEndPoint!,
            new UdpFaults { DropRate = 0.3, DuplicateRate = 0.2, ReorderRate = 0.2, ReorderDelay = TimeSpan.FromMilliseconds(20), Seed = 42 });

        for (var i = 0; i < 300; i++)
        {
            client.SendTo(BitConverter.GetBytes(i), relay.ListenEndPoint);
            Thread.Sleep(1);
        }
        var seen = ReceiveAll(target, TimeSpan.FromMilliseconds(500));

        Assert.Equal(300, relay.Received);
        Assert.InRange(relay.Dropped, 60, 120);
        Assert.True(relay.Duplicated > 20);
        Assert.Equal(300 - relay.Dropped + relay.Duplicated, seen.Count);
        Assert.True(seen.Count != seen.Distinct().Count(), "no duplicate arrived");
        Assert.True(seen.Zip(seen.Skip(1)).Any(p => p.Second < p.First), "nothing arrived out of order");
    }
}
