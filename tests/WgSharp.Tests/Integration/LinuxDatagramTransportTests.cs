using System.Net;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

/// <summary>The Linux datagram seam on loopback: a batch to one endpoint leaves in GSO runs straight from the slots, in order.</summary>
public class LinuxDatagramTransportTests
{
    private static LinuxDatagramTransport Open(bool offloads = true) =>
        (LinuxDatagramTransport)new LinuxDatagramTransportFactory(offloads: offloads).Open(new TransportSettings(0, 0, 0));

    private static UdpEndpoint Loopback(ushort port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, port));

    /// <summary>Sizes that make several runs: equal ones, a shorter one ending a run, a larger one starting the next.</summary>
    private static readonly int[] Sizes = [.. Enumerable.Repeat(1200, 10), 700, .. Enumerable.Repeat(1400, 70), 90, 1300, 65100, 65100, 500];

    private static void Fill(PacketBatch batch, int round)
    {
        for (int i = 0; i < Sizes.Length; i++)
        {
            batch.Lengths[i] = Sizes[i];
            var datagram = batch.Datagram(i);
            datagram.Fill((byte)i);
            datagram[0] = (byte)round;
        }
        batch.Count = Sizes.Length;
    }

    private static void ReceiveAll(LinuxDatagramTransport receiver, PacketBatch into, int round)
    {
        int seen = 0;
        while (seen < Sizes.Length)
        {
            int n = receiver.Receive(UdpFamily.IPv4, into, wait: true);
            if (n < 0) throw new InvalidOperationException($"{Sizes.Length - seen} datagrams of round {round} never arrived");
            for (int i = 0; i < n; i++, seen++)
            {
                var datagram = into.Datagram(i);
                if (datagram.Length != Sizes[seen] || datagram[0] != (byte)round || datagram[^1] != (byte)seen)
                    throw new InvalidOperationException($"datagram {seen} of round {round}: {datagram.Length} bytes, expected {Sizes[seen]}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABatchToOneEndpointArrivesWholeAndInOrderThroughSegmentationOffload(bool offloads)
    {
        using var sender = Open(offloads);
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(Sizes.Length);
        using var incoming = new PacketBatch(64);
        Fill(outgoing, 1);

        Assert.Equal(System.Net.Sockets.SocketError.Success, sender.Send(outgoing, 0, Sizes.Length, Loopback(receiver.Port)));

        ReceiveAll(receiver, incoming, 1);
        Assert.False(sender.Sockets.SegmentationUnsupported);
        Assert.Equal(Loopback(sender.Port), incoming.Endpoints[0]);
    }

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void SegmentationRefusedOverARouteWithASmallMtuComesBackOnceTheMtuIsFixed()
    {
        // A segment larger than the route's MTU makes the kernel refuse a segmented send (EINVAL): the datagrams
        // still go, one by one (fragmented), and segmentation is tried again after the retry interval.
        using var ns = NetworkNamespace.Create();
        ns.Ip("link", "set", "lo", "mtu", "1280");
        var factory = new LinuxDatagramTransportFactory(baseNamespace: ns.Name);
        using var sender = (LinuxDatagramTransport)factory.Open(new TransportSettings(0, 0, 0));
        using var receiver = (LinuxDatagramTransport)factory.Open(new TransportSettings(0, 0, 0));
        sender.Sockets.SegmentationRetryInterval = TimeSpan.FromMilliseconds(200);
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(10);
        using var incoming = new PacketBatch(64);
        void SendAndReceiveTen(byte round)
        {
            for (int i = 0; i < 10; i++)
            {
                outgoing.Lengths[i] = 1452;
                outgoing.Datagram(i).Fill(round);
            }
            outgoing.Count = 10;
            Assert.Equal(System.Net.Sockets.SocketError.Success, sender.Send(outgoing, 0, 10, Loopback(receiver.Port)));
            for (int seen = 0; seen < 10;)
            {
                int n = receiver.Receive(UdpFamily.IPv4, incoming, wait: true);
                if (n < 0) throw new InvalidOperationException($"{10 - seen} datagrams of round {round} never arrived");
                for (int i = 0; i < n; i++, seen++)
                    Assert.True(incoming.Datagram(i).Length == 1452 && incoming.Datagram(i)[0] == round, $"datagram {seen} of round {round}");
            }
        }

        SendAndReceiveTen(1);
        Assert.True(sender.Sockets.SegmentationUnsupported);

        ns.Ip("link", "set", "lo", "mtu", "65536");
        Thread.Sleep(300); // past the retry interval
        SendAndReceiveTen(2);
        Assert.False(sender.Sockets.SegmentationUnsupported);
    }

    [Fact]
    public void AReceiveThatMustNotWaitReturnsNothingWhenNothingIsQueuedAndWhatIsQueuedOtherwise()
    {
        using var sender = Open();
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var incoming = new PacketBatch(64);
        Assert.Equal(0, receiver.Receive(UdpFamily.IPv4, incoming, wait: false));
        Assert.Equal(System.Net.Sockets.SocketError.Success, sender.Send(new byte[100], Loopback(receiver.Port)));
        int n;
        while ((n = receiver.Receive(UdpFamily.IPv4, incoming, wait: false)) == 0) Thread.Yield(); // loopback delivery is immediate, but not inside our send
        Assert.Equal(1, n);
        Assert.Equal(100, incoming.Lengths[0]);
        Assert.Equal(0, receiver.Receive(UdpFamily.IPv4, incoming, wait: false));
    }

    [Fact]
    public void BatchSendAndReceiveDoNotAllocate()
    {
        using var sender = Open();
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(Sizes.Length);
        using var incoming = new PacketBatch(64);
        var to = Loopback(receiver.Port);
        void Round(int round)
        {
            Fill(outgoing, round);
            sender.Send(outgoing, 0, Sizes.Length, to);
            ReceiveAll(receiver, incoming, round);
        }
        for (int round = 0; round < 20; round++) Round(round); // warm up: JIT, thread-static socket addresses
        // 20,500 datagrams per window: a per-datagram allocation would be megabytes in every window.
        long fewest = Allocations.FewestPerWindow(3, 250, Round);
        Assert.True(fewest < 1024, $"{fewest} bytes allocated in 250 rounds");
    }
}
