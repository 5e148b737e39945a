using WgSharp.Device.IO;
using WgSharp.Keys;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Ops;

/// <summary>
/// Sticky source addresses (issue 20, item 1): a wgsharp server with two addresses on one veth answers a peer
/// from the address the peer's packets arrived at, not the route's choice (the primary), so a client that can
/// reach only the secondary address (a firewall, a NAT mapping one address) gets its tunnel; and when that
/// address leaves the host the server falls back to the route's choice.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class StickySourceTests(ITestOutputHelper output)
{
    private const string ServerPrimary4 = "192.0.2.1", ServerSecondary4 = "192.0.2.5", Client4 = "192.0.2.2";
    private const string ServerPrimary6 = "2001:db8:5::1", ServerSecondary6 = "2001:db8:5::5", Client6 = "2001:db8:5::2";
    private const string ServerInner = "10.205.0.1", ClientInner = "10.205.0.2";
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Server namespace (primary then secondary address on one veth) and client namespace.</summary>
    private sealed class Net : IDisposable
    {
        public Net(bool ipv6)
        {
            Server = NetworkNamespace.Create();
            Client = NetworkNamespace.Create();
            Link = ipv6
                ? NetworkNamespace.ConnectVeth(Server, Client, [ServerPrimary6 + "/64", ServerSecondary6 + "/64"], [Client6 + "/64"])
                : NetworkNamespace.ConnectVeth(Server, Client, [ServerPrimary4 + "/24", ServerSecondary4 + "/24"], [Client4 + "/24"]);
        }

        public NetworkNamespace Server { get; }
        public NetworkNamespace Client { get; }
        public VethLink Link { get; }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
        }
    }

    private static string Endpoint(bool ipv6, ushort port) => ipv6 ? $"[{ServerSecondary6}]:{port}" : $"{ServerSecondary4}:{port}";
    private static string Secondary(bool ipv6) => ipv6 ? ServerSecondary6 : ServerSecondary4;

    private static WgSharpPeer StartServer(Net net, Key clientPublic)
    {
        var server = WgSharpPeer.Start(net.Server);
        server.SetPeer(clientPublic, $"{ClientInner}/32"); // no endpoint: the server learns it from the client
        server.AddAddressAndUp($"{ServerInner}/24");
        return server;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWgSharpClientThatReachesOnlyTheSecondaryAddressGetsItsTunnel(bool ipv6)
    {
        using var net = new Net(ipv6);
        using var block = NftBlock.Address(net.Client, ipv6 ? ServerPrimary6 : ServerPrimary4);
        using var client = WgSharpPeer.Start(net.Client);
        using var server = StartServer(net, client.PublicKey);
        client.SetPeer(server.PublicKey, $"{ServerInner}/32", Endpoint(ipv6, server.ListenPort));
        client.AddAddressAndUp($"{ClientInner}/24");

        Assert.True(NetworkChecks.WaitForPing(net.Client, ServerInner, HandshakeTimeout), server.Log.Text + client.Log.Text);
        var local = server.PeerFor(client.PublicKey).LocalAddress;
        Assert.Equal(Secondary(ipv6), local.Address.Address.ToString());
        Assert.True(NetworkChecks.Ping(net.Server, ClientInner, count: 2)); // the server's own sends leave from it too
    }

    [Fact]
    public void AWireGuardGoClientThatReachesOnlyTheSecondaryAddressGetsItsTunnel()
    {
        using var net = new Net(ipv6: false);
        using var block = NftBlock.Address(net.Client, ServerPrimary4);
        using var client = WireGuardGoPeer.Start(net.Client);
        using var server = StartServer(net, client.PublicKey);
        client.SetPeer(server.PublicKey, $"{ServerInner}/32", Endpoint(false, server.ListenPort));
        client.AddAddressAndUp($"{ClientInner}/24");

        Assert.True(NetworkChecks.WaitForPing(net.Client, ServerInner, HandshakeTimeout), server.Log.Text + client.Log);
        Assert.Equal(ServerSecondary4, server.PeerFor(client.PublicKey).LocalAddress.Address.Address.ToString());
        Assert.True(NetworkChecks.Ping(net.Server, ClientInner, count: 2));
    }

    [Fact]
    public void WhenTheRememberedAddressLeavesTheServerFallsBackToTheRoutesChoice()
    {
        using var net = new Net(ipv6: false);
        using var client = WgSharpPeer.Start(net.Client);
        using var server = StartServer(net, client.PublicKey);
        client.SetPeer(server.PublicKey, $"{ServerInner}/32", Endpoint(false, server.ListenPort));
        client.AddAddressAndUp($"{ClientInner}/24");
        Assert.True(NetworkChecks.WaitForPing(net.Client, ServerInner, HandshakeTimeout), server.Log.Text + client.Log.Text);
        var peer = server.PeerFor(client.PublicKey);
        Assert.Equal(ServerSecondary4, peer.LocalAddress.Address.Address.ToString());

        net.Server.Ip("addr", "del", ServerSecondary4 + "/24", "dev", net.Link.InterfaceA);

        // The server's sends from the gone address are refused: it forgets it and sends from the primary, where the
        // client (which roams to the source of authenticated packets) follows.
        Assert.True(NetworkChecks.WaitForPing(net.Server, ClientInner, HandshakeTimeout), server.Log.Text + client.Log.Text);
        Assert.NotEqual(ServerSecondary4, peer.LocalAddress.Address.Address.ToString());
        Assert.Equal(ServerPrimary4, client.PeerFor(server.PublicKey).Endpoint.Address.ToString());
        Assert.True(NetworkChecks.Ping(net.Client, ServerInner, count: 2));
        output.WriteLine($"server's local address for the client now: {peer.LocalAddress}");
    }
}
