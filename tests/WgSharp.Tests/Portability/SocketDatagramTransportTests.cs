using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Portable;

namespace WgSharp.Tests.Portability;

/// <summary>The portable datagram transport on loopback: both families on one port, batches each way, non-blocking
/// receive, close under a blocked receiver, a taken port, and no allocation per datagram once warm.</summary>
public sealed class SocketDatagramTransportTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var item in _owned) item.Dispose();
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    private SocketDatagramTransport Bind(ushort port = 0) => Own(SocketDatagramTransport.Bind(port));

    private PacketBatch Batch(int capacity = SocketDatagramTransport.DefaultBatchSize) => Own(new PacketBatch(capacity, 2048));

    private static IPAddress Loopback(UdpFamily family) => family == UdpFamily.IPv4 ? IPAddress.Loopback : IPAddress.IPv6Loopback;

    private static UdpEndpoint To(UdpFamily family, ushort port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(Loopback(family), port));

    private Socket Client(UdpFamily family)
    {
        var socket = Own(new Socket(family == UdpFamily.IPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(Loopback(family), 0));
        socket.ReceiveTimeout = 10_000; // a failing test must end
        return socket;
    }

    private static byte[] Payload(int index, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(index * 31 + i);
        return bytes;
    }

    public static TheoryData<string> Families => new() { nameof(UdpFamily.IPv4), nameof(UdpFamily.IPv6) };

    [Fact]
    public void PortZeroBindsBothFamiliesOnOnePortTheOsPicks()
    {
        var transport = Bind();
        Assert.NotEqual(0, transport.Port);
        Assert.True(transport.Has(UdpFamily.IPv4));
        Assert.True(transport.Has(UdpFamily.IPv6));
        Assert.Equal(0u, transport.FwMark);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ReceivesDatagramsIntoTheSlotsWithTheirSources(string familyName)
    {
        var family = Enum.Parse<UdpFamily>(familyName);
        var transport = Bind();
        var client = Client(family);
        var target = new IPEndPoint(Loopback(family), transport.Port);
        const int sent = 5;
        for (int i = 0; i < sent; i++) client.SendTo(Payload(i, 100 + i), target);

        var batch = Batch();
        var source = UdpEndpoint.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!);
        int received = 0;
        while (received < sent)
        {
            int n = transport.Receive(family, batch, wait: true);
            Assert.True(n > 0);
            Assert.Equal(n, batch.Count);
            for (int i = 0; i < n; i++, received++)
            {
                Assert.Equal(Payload(received, 100 + received), batch.Datagram(i).ToArray());
                Assert.Equal(source, batch.Endpoints[i]);
            }
        }
        Assert.Equal(0, transport.Receive(family, batch, wait: false));
    }

    [Fact]
    public void AReceiveTakesWhatIsQueuedInOneBatch()
    {
        var transport = Bind();
        var client = Client(UdpFamily.IPv4);
        for (int i = 0; i < 4; i++) client.SendTo(Payload(i, 64), new IPEndPoint(IPAddress.Loopback, transport.Port));
        // Loopback delivers synchronously: all four are queued before the receive starts.
        Assert.Equal(4, transport.Receive(UdpFamily.IPv4, Batch(), wait: true));
    }

    [Fact]
    public void AReceiveReturnsNoMoreThanTheBatchHolds()
    {
        var transport = Bind();
        var client = Client(UdpFamily.IPv4);
        for (int i = 0; i < 5; i++) client.SendTo(Payload(i, 64), new IPEndPoint(IPAddress.Loopback, transport.Port));
        var small = Batch(capacity: 2);
        Assert.Equal(2, transport.Receive(UdpFamily.IPv4, small, wait: true));
        Assert.Equal(2, transport.Receive(UdpFamily.IPv4, small, wait: false));
        Assert.Equal(1, transport.Receive(UdpFamily.IPv4, small, wait: false));
        Assert.Equal(0, transport.Receive(UdpFamily.IPv4, small, wait: false));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void SendsSlotsOfABatchInOrderToOneEndpoint(string familyName)
    {
        var family = Enum.Parse<UdpFamily>(familyName);
        var transport = Bind();
        var client = Client(family);
        var batch = Batch(4);
        for (int i = 0; i < 4; i++)
        {
            Payload(i, 200 + i).CopyTo(batch.Slot(i));
            batch.Lengths[i] = 200 + i;
        }

        Assert.Equal(SocketError.Success, transport.Send(batch, 1, 3, UdpEndpoint.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!)));

        var buffer = new byte[4096];
        EndPoint from = new IPEndPoint(family == UdpFamily.IPv4 ? IPAddress.Any : IPAddress.IPv6Any, 0);
        for (int i = 1; i < 4; i++)
        {
            int n = client.ReceiveFrom(buffer, ref from);
            Assert.Equal(Payload(i, 200 + i), buffer[..n]);
            Assert.Equal(transport.Port, ((IPEndPoint)from).Port);
        }
    }

    [Fact]
    public void WaitFalseReturnsZeroWhenNothingIsQueued()
    {
        var transport = Bind();
        var batch = Batch();
        Assert.Equal(0, transport.Receive(UdpFamily.IPv4, batch, wait: false));
        Assert.Equal(0, transport.Receive(UdpFamily.IPv6, batch, wait: false));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void DisposeUnblocksABlockedReceiverWithMinusOne()
    {
        var transport = SocketDatagramTransport.Bind(0);
        var batch = Batch();
        int result = 0;
        var reader = new Thread(() => result = transport.Receive(UdpFamily.IPv4, batch, wait: true)) { IsBackground = true };
        reader.Start();
        Thread.Sleep(200); // lets it block (a receive that starts after Dispose returns -1 too)
        transport.Dispose();
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "the receiver is still blocked after Dispose");
        Assert.Equal(-1, result);
        Assert.Equal(-1, transport.Receive(UdpFamily.IPv6, batch, wait: true));
        Assert.Equal(SocketError.OperationAborted, transport.Send(new byte[8], To(UdpFamily.IPv4, 9)));
    }

    [Fact]
    public void ATakenPortIsAddressAlreadyInUse()
    {
        var first = Bind();
        var e = Assert.Throws<SocketException>(() => SocketDatagramTransport.Bind(first.Port));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
    }

    [Fact]
    public void TheFactoryBindsTheAskedPortAndRefusesMarksAndRoutingTables()
    {
        var factory = new SocketDatagramTransportFactory();
        ushort port;
        using (var probe = factory.Open(new TransportSettings(0, 0, 0))) port = probe.Port;
        using (var transport = factory.Open(new TransportSettings(port, 0, 0)))
        {
            Assert.Equal(port, transport.Port);
            transport.SetFwMark(0);
            Assert.Throws<PlatformNotSupportedException>(() => transport.SetFwMark(1));
        }
        Assert.Throws<PlatformNotSupportedException>(() => factory.Open(new TransportSettings(0, 51, 0)));
        Assert.Throws<PlatformNotSupportedException>(() => factory.Open(new TransportSettings(0, 0, 1)));
    }

    [Fact]
    public void SendingToAFamilyOrEndpointItCannotReachReturnsAnError()
    {
        var transport = Bind();
        Assert.Equal(SocketError.DestinationAddressRequired, transport.Send(new byte[8], default(UdpEndpoint)));
    }

    [Fact]
    public void SendAndReceiveAllocateNothingPerDatagramOnceWarm()
    {
        var sender = Bind();
        var receiver = Bind();
        var to4 = To(UdpFamily.IPv4, receiver.Port);
        var to6 = To(UdpFamily.IPv6, receiver.Port);
        var batch = Batch();
        var datagram = new byte[1200];
        const int perWindow = 200;

        // Counts instead of asserting inside: xunit's Assert.Equal allocates a comparer per call.
        int Window(in UdpEndpoint to4, in UdpEndpoint to6)
        {
            int failures = 0;
            for (int i = 0; i < perWindow; i++)
            {
                if (sender.Send(datagram, i % 2 == 0 ? to4 : to6) != SocketError.Success) failures++;
                if (receiver.Receive(i % 2 == 0 ? UdpFamily.IPv4 : UdpFamily.IPv6, batch, wait: true) != 1) failures++;
            }
            return failures;
        }

        Assert.Equal(0, Window(to4, to6)); // warm-up: JIT, the per-thread socket addresses
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int failures = Window(to4, to6);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(0, failures);
        }
        // Fewest over three windows: a one-off runtime charge cannot fail it; a byte per datagram still does.
        Assert.True(fewest < perWindow, $"{fewest} bytes for {perWindow} datagrams sent and received");
    }
}
