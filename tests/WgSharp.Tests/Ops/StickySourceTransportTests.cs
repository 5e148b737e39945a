using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// The Linux datagram seam's sticky source on loopback (127.0.0.0/8 is all local): received datagrams carry the
/// local address they arrived at; sends from a given local address leave from it (single, batched and segmented,
/// with and without offloads); a source that is not the host's is dropped and the send goes without it;
/// none of it allocates.
/// </summary>
public class StickySourceTransportTests
{
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");

    private static LinuxDatagramTransport Open(bool offloads = true) =>
        (LinuxDatagramTransport)new LinuxDatagramTransportFactory(offloads: offloads).Open(new TransportSettings(0, 0, 0));

    private static UdpEndpoint At(IPAddress address, ushort port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(address, port));

    private static LocalAddress Local(IPAddress address) => new(At(address, 0), 0);

    private static void Fill(PacketBatch batch, int count, int size)
    {
        for (int i = 0; i < count; i++)
        {
            batch.Lengths[i] = size;
            batch.Datagram(i).Fill((byte)i);
        }
        batch.Count = count;
    }

    /// <summary>Receives <paramref name="count"/> datagrams; checks each one's sender address and the local address it arrived at.</summary>
    private static void Expect(LinuxDatagramTransport receiver, PacketBatch into, int count, IPAddress sender, IPAddress local)
    {
        for (int seen = 0; seen < count;)
        {
            int n = receiver.Receive(UdpFamily.IPv4, into, wait: true);
            Assert.True(n > 0, $"{count - seen} datagrams never arrived");
            for (int i = 0; i < n; i++, seen++)
            {
                Assert.Equal(sender, into.Endpoints[i].Address);
                Assert.Equal(local, into.LocalAddresses[i].Address.Address);
                Assert.NotEqual(0, into.LocalAddresses[i].InterfaceIndex);
            }
        }
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 40)]
    [InlineData(false, 40)]
    public void SendsLeaveFromTheGivenLocalAddressAndReceivesTellWhereTheyArrived(bool offloads, int count)
    {
        using var sender = Open(offloads);
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(count);
        using var incoming = new PacketBatch(64);
        Fill(outgoing, count, 1200);

        var from = Local(Other);
        Assert.Equal(SocketError.Success, sender.Send(outgoing, 0, count, At(IPAddress.Loopback, receiver.Port), ref from));
        Assert.Equal(Local(Other), from);
        Expect(receiver, incoming, count, Other, IPAddress.Loopback);

        // To the other local address without a source: the route picks 127.0.0.1, and the receiver tells where it arrived.
        var none = default(LocalAddress);
        Assert.Equal(SocketError.Success, sender.Send(outgoing, 0, count, At(Other, receiver.Port), ref none));
        Expect(receiver, incoming, count, IPAddress.Loopback, Other);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 40)]
    [InlineData(false, 40)]
    public void ASourceThatIsNotTheHostsIsForgottenAndTheSendGoesWithoutIt(bool offloads, int count)
    {
        using var sender = Open(offloads);
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(count);
        using var incoming = new PacketBatch(64);
        Fill(outgoing, count, 1200);

        var from = Local(IPAddress.Parse("192.0.2.77")); // documentation range: never on this host
        Assert.Equal(SocketError.Success, sender.Send(outgoing, 0, count, At(IPAddress.Loopback, receiver.Port), ref from));
        Assert.True(from.IsEmpty);
        Expect(receiver, incoming, count, IPAddress.Loopback, IPAddress.Loopback);

        var single = Local(IPAddress.Parse("192.0.2.77"));
        Assert.Equal(SocketError.Success, sender.Send(new byte[100], At(IPAddress.Loopback, receiver.Port), ref single));
        Assert.True(single.IsEmpty);
        Expect(receiver, incoming, 1, IPAddress.Loopback, IPAddress.Loopback);
    }

    [Fact]
    public void SendingFromAndReceivingTheLocalAddressAllocatesNothing()
    {
        using var sender = Open();
        using var receiver = Open();
        using var hangGuard = new Timer(_ => receiver.Dispose(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using var outgoing = new PacketBatch(8);
        using var incoming = new PacketBatch(64);
        Fill(outgoing, 8, 1000);
        var to = At(IPAddress.Loopback, receiver.Port);
        var source = Local(Other);
        long allocated = Allocations.FewestPerWindow(4, 50, _ =>
        {
            var from = source;
            sender.Send(outgoing, 0, 8, to, ref from);
            sender.Send(outgoing.Datagram(0), to, ref from);
            for (int seen = 0; seen < 9;)
            {
                int n = receiver.Receive(UdpFamily.IPv4, incoming, wait: true);
                if (n <= 0) throw new InvalidOperationException("lost");
                seen += n;
                if (incoming.LocalAddresses[0].IsEmpty) throw new InvalidOperationException("no local address");
            }
        });
        Assert.Equal(0, allocated);
    }
}
