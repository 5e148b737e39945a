using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class NetNsTests
{
    private static string? CurrentNamespace() => new FileInfo("/proc/thread-self/ns/net").LinkTarget;

    [Fact]
    public void RunExecutesInsideTheNamespaceAndLeavesTheCallerAlone()
    {
        using var netns = NetworkNamespace.Create();
        var veth = NetworkNamespace.ConnectVeth(netns, netns, ["192.0.2.77/24"], ["192.0.2.78/24"]);
        var before = CurrentNamespace();

        var inside = NetNs.Run(netns.Name, () => (CurrentNamespace(), NetNs.LinkExists(null, veth.InterfaceA)));
        // A socket made inside can bind an address that exists only there.
        using var socket = NetNs.Run(netns.Name, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.77"), 0));
            return s;
        });

        Assert.NotEqual(before, inside.Item1);
        Assert.True(inside.Item2);
        Assert.Equal(before, CurrentNamespace());
        using var outside = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.Throws<SocketException>(() => outside.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.77"), 0)));
    }

    [Fact]
    public void RunPropagatesExceptions()
    {
        using var netns = NetworkNamespace.Create();
        var error = Assert.Throws<InvalidOperationException>(() => NetNs.Run(netns.Name, () => throw new InvalidOperationException("inside")));
        Assert.Equal("inside", error.Message);
        Assert.Throws<LinuxIoException>(() => NetNs.Run("wgsn-does-not-exist", () => 1));
    }

    [Fact]
    public void CreateDeleteAndMoveLinks()
    {
        var name = TestNames.NewNamespace();
        try
        {
            Assert.False(NetNs.Exists(name));
            NetNs.Create(name);
            NetNs.Create(name); // idempotent
            Assert.True(NetNs.Exists(name));
            Assert.Contains("UP", IpCommand.Run(name, "link", "show", "dev", "lo").EnsureSuccess().StandardOutput);

            using var other = NetworkNamespace.Create();
            var dummy = TestNames.NewInterface();
            IpCommand.Run(name, "link", "add", dummy, "type", "veth", "peer", "name", TestNames.NewInterface()).EnsureSuccess();
            NetNs.SetMtu(name, dummy, 1280);
            NetNs.MoveLink(dummy, other.Name, name);
            NetNs.AddAddress(other.Name, dummy, "2001:db8:5::1/64");
            NetNs.SetLinkUp(other.Name, dummy, true);

            Assert.False(NetNs.LinkExists(name, dummy));
            var shown = other.Ip("address", "show", "dev", dummy).StandardOutput;
            Assert.Contains("mtu 1280", shown);
            Assert.Contains("2001:db8:5::1/64", shown);
            Assert.DoesNotContain("tentative", shown); // nodad
        }
        finally
        {
            NetNs.Delete(name);
        }
        Assert.False(NetNs.Exists(name));
        NetNs.Delete(name); // deleting a missing namespace is fine
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-n")]
    public void RejectsNamesThatAreNotPlainNames(string name)
    {
        Assert.False(NetNs.IsValidName(name));
        Assert.Throws<ArgumentException>(() => NetNs.PathOf(name));
    }

    [Fact]
    public void UdpTransportCanLiveInANamespace()
    {
        using var netns = NetworkNamespace.Create();
        using var transport = UdpTransport.BindInNamespace(netns.Name, 0);
        var port = transport.Port;

        var listening = netns.Exec("ss", "-Hlun", $"sport = :{port}").EnsureSuccess().StandardOutput;
        Assert.Contains($"0.0.0.0:{port}", listening);
        Assert.Contains($"[::]:{port}", listening);

        using var client = netns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        client.SendTo(new byte[] { 1, 2, 3 }, new IPEndPoint(IPAddress.Loopback, port));
        var buffer = new byte[16];
        Assert.Equal(3, transport.Receive(UdpFamily.IPv4, buffer, out var from));
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, from.Port);

        // Rebinding keeps the namespace.
        var newPort = transport.Rebind(0);
        Assert.Contains($"0.0.0.0:{newPort}", netns.Exec("ss", "-Hlun", $"sport = :{newPort}").StandardOutput);
    }
}
