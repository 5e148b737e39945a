using System.Net;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class TunDeviceTests
{
    private const string TunAddress = "203.0.113.1/24";
    private static readonly byte[] PeerAddress = IPAddress.Parse("203.0.113.2").GetAddressBytes();

    [Fact]
    public void AnswersPingThroughReadAndWriteWithoutAllocating()
    {
        using var netns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var tun = TunDevice.CreateInNamespace(netns.Name, name, mtu: 1380);
        try
        {
            Assert.Equal(name, tun.Name);
            Assert.Equal(1380, tun.Mtu);
            Assert.Contains("mtu 1380", netns.Ip("link", "show", "dev", name).StandardOutput);
            NetNs.AddAddress(netns.Name, name, TunAddress);
            Assert.False(tun.IsUp);
            tun.SetUp(true);
            Assert.True(tun.IsUp);

            var answered = 0;
            long allocated = -1;
            var responder = new Thread(() =>
            {
                var buffer = new byte[2048];
                var reply = new byte[2048];
                long start = 0;
                int n;
                while ((n = tun.Read(buffer)) >= 0)
                {
                    if (!IcmpEcho.IsEchoRequestTo(buffer.AsSpan(0, n), PeerAddress))
                        continue; // e.g. IPv6 router solicitations
                    tun.Write(reply.AsSpan(0, IcmpEcho.BuildReply(buffer.AsSpan(0, n), reply)));
                    if (++answered == 1)
                        start = GC.GetAllocatedBytesForCurrentThread(); // measure after the first (JIT) round
                    else
                        allocated = GC.GetAllocatedBytesForCurrentThread() - start;
                }
            }) { IsBackground = true };
            responder.Start();

            Assert.True(NetworkChecks.Ping(netns, "203.0.113.2", count: 5), "ping through the TUN was not answered");

            tun.Dispose();
            Assert.True(responder.Join(TimeSpan.FromSeconds(5)), "Read did not return after Dispose");
            Assert.True(answered >= 5);
            Assert.Equal(0, allocated);
            Assert.False(tun.Exists());
            Assert.False(NetNs.LinkExists(netns.Name, name), "closing the descriptor should delete the interface");
        }
        finally
        {
            tun.Dispose();
        }
    }

    [Fact]
    public void FollowsTheInterfaceIntoAnotherNamespaceUntilItIsDeleted()
    {
        using var first = NetworkNamespace.Create();
        using var second = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        using var tun = TunDevice.CreateInNamespace(first.Name, name);

        NetNs.MoveLink(name, second.Name, first.Name);

        Assert.True(tun.Exists());
        Assert.False(NetNs.LinkExists(first.Name, name));
        Assert.True(NetNs.LinkExists(second.Name, name));
        // Settings still reach the interface in its new namespace.
        tun.Mtu = 1300;
        tun.SetUp(true);
        var shown = second.Ip("link", "show", "dev", name).StandardOutput;
        Assert.Contains("mtu 1300", shown);
        Assert.Contains(",UP", shown);
        Assert.Equal(1300, tun.Mtu);

        var result = 0;
        var reader = new Thread(() =>
        {
            var buffer = new byte[2048];
            while ((result = tun.Read(buffer)) >= 0) { } // skip what the kernel sends on link up (IPv6 MLD/RS)
        }) { IsBackground = true };
        reader.Start();
        Thread.Sleep(100);
        second.Ip("link", "delete", "dev", name);

        Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "Read did not return after the interface was deleted");
        Assert.Equal(-1, result);
        Assert.False(tun.Exists());
        Assert.False(tun.TryWrite(new byte[40], out var errno));
        Assert.NotEqual(0, errno);
    }

    [Fact]
    public void DisposeWakesABlockedReader()
    {
        using var netns = NetworkNamespace.Create();
        var tun = TunDevice.CreateInNamespace(netns.Name, TestNames.NewInterface());
        var result = 0;
        var reader = new Thread(() => result = tun.Read(new byte[2048])) { IsBackground = true };
        reader.Start();
        Thread.Sleep(100);

        tun.Dispose();

        Assert.True(reader.Join(TimeSpan.FromSeconds(5)));
        Assert.Equal(-1, result);
        Assert.Equal(-1, tun.Read(new byte[10]));
        Assert.Throws<ObjectDisposedException>(() => tun.Write(new byte[20]));
    }

    [Fact]
    public void RejectsMalformedPacketsWithoutThrowing()
    {
        using var netns = NetworkNamespace.Create();
        using var tun = TunDevice.CreateInNamespace(netns.Name, TestNames.NewInterface());
        tun.SetUp(true);
        var garbage = new byte[40]; // IP version 0
        Assert.False(tun.TryWrite(garbage, out var errno));
        Assert.Equal(22, errno); // EINVAL
        var error = Assert.Throws<LinuxIoException>(() => tun.Write(garbage));
        Assert.Equal(22, error.Errno);
    }

    [Theory]
    [InlineData("")]
    [InlineData("wgsn-name-that-is-too-long")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("..")]
    public void RejectsInvalidNames(string name) => Assert.Throws<ArgumentException>(() => TunDevice.Create(name));

    [Fact]
    public void KernelPicksTheNumberForPercentD()
    {
        using var netns = NetworkNamespace.Create();
        using var tun = TunDevice.CreateInNamespace(netns.Name, "wgsnk%d");
        Assert.Matches("^wgsnk[0-9]+$", tun.Name);
        Assert.True(NetNs.LinkExists(netns.Name, tun.Name));
    }
}
