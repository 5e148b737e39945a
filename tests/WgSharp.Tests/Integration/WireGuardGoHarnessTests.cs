using System.Net;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Integration;

/// <summary>Proves the integration harness with two Debian wireguard-go peers in two namespaces.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class WireGuardGoHarnessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PingsThroughTheTunnel(bool outerIPv6)
    {
        using var pair = new WireGuardGoPair(outerIPv6);

        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, WireGuardGoPair.InnerB4, HandshakeTimeout), pair.PeerA.Log);
        Assert.True(NetworkChecks.Ping(pair.NamespaceB, WireGuardGoPair.InnerA6, count: 3));

        // The handshake really happened over the chosen outer family.
        var peerLine = pair.PeerA.Dump().Split('\n')[1].Split('\t');
        Assert.Equal(pair.PeerB.PublicKey.ToBase64(), peerLine[0]);
        Assert.Equal(outerIPv6 ? $"[2001:db8:1::2]:{WireGuardGoPair.ListenPort}" : $"192.0.2.2:{WireGuardGoPair.ListenPort}", peerLine[2]);
        Assert.NotEqual("0", peerLine[4]); // latest handshake
    }

    [Fact]
    public void WithoutAMatchingPeerKeyNothingGetsThrough()
    {
        using var pair = new WireGuardGoPair();
        // B now expects a different key for A's addresses: A's handshakes are ignored.
        pair.PeerB.Wg(["set", pair.PeerB.InterfaceName, "peer", pair.PeerA.PublicKey.ToBase64(), "remove"]);
        pair.PeerB.SetPeer(WgKeys.Generate().Public, $"{WireGuardGoPair.InnerA4}/32");

        Assert.False(NetworkChecks.Ping(pair.NamespaceA, WireGuardGoPair.InnerB4, count: 2, waitSeconds: 2));
    }

    [Fact]
    public void TransfersOneHundredMegabytesOverTcp()
    {
        using var pair = new WireGuardGoPair();
        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, WireGuardGoPair.InnerB4, HandshakeTimeout), pair.PeerA.Log);

        var result = TcpTransfer.Run(pair.NamespaceB, WireGuardGoPair.InnerB4, pair.NamespaceA, 100L * 1024 * 1024, TimeSpan.FromSeconds(120));

        output.WriteLine($"{result.Bytes} bytes in {result.Elapsed.TotalSeconds:F2} s = {result.MegabitsPerSecond:F0} Mbit/s");
        Assert.Equal(100L * 1024 * 1024, result.Bytes);
        Assert.True(result.HashMatches);
    }

    [Fact]
    public void RelayCarriesTheTunnelWhenTheDirectPathIsBlockedAndCanDropEverything()
    {
        using var pair = new WireGuardGoPair();
        // Direct A -> B:51820 is cut in A; a relay in B on port 40000 forwards to B's wireguard-go.
        using var block = NftBlock.RemoteUdpPort(pair.NamespaceA, WireGuardGoPair.ListenPort);
        Assert.False(NetworkChecks.Ping(pair.NamespaceA, WireGuardGoPair.InnerB4, count: 1, waitSeconds: 2));

        using var relay = new UdpRelay(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 40000),
            new IPEndPoint(IPAddress.Loopback, WireGuardGoPair.ListenPort),
            new UdpFaults { DuplicateRate = 0.2, ReorderRate = 0.2, Jitter = TimeSpan.FromMilliseconds(5), Seed = 7 },
            pair.NamespaceB);
        pair.PeerA.SetPeer(pair.PeerB.PublicKey, $"{WireGuardGoPair.InnerB4}/32", "192.0.2.2:40000");

        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, WireGuardGoPair.InnerB4, HandshakeTimeout), pair.PeerA.Log);
        Assert.True(NetworkChecks.Ping(pair.NamespaceA, WireGuardGoPair.InnerB4, count: 10));
        Assert.True(relay.Forwarded > 0);
        Assert.True(relay.Duplicated > 0);
        Assert.True(relay.Reordered > 0);

        relay.Faults = new UdpFaults { DropRate = 1 };
        var droppedBefore = relay.Dropped;
        Assert.False(NetworkChecks.Ping(pair.NamespaceA, WireGuardGoPair.InnerB4, count: 2, waitSeconds: 2));
        Assert.True(relay.Dropped > droppedBefore);

        block.Dispose(); // direct path back; A still sends to the relay, so restore its endpoint too
        pair.PeerA.SetPeer(pair.PeerB.PublicKey, $"{WireGuardGoPair.InnerB4}/32", $"192.0.2.2:{WireGuardGoPair.ListenPort}");
        Assert.True(NetworkChecks.WaitForPing(pair.NamespaceA, WireGuardGoPair.InnerB4, HandshakeTimeout));
    }

    [Fact]
    public void OurKeyDerivationMatchesWgPubkey()
    {
        var (privateKey, publicKey) = WgKeys.Generate();
        Assert.Equal(publicKey, WgKeys.PublicKeyWithWgTool(privateKey));
        var (toolPrivate, toolPublic) = WgKeys.GenerateWithWgTool();
        Assert.Equal(toolPublic, WgSharp.Keys.KeyGenerator.DerivePublicKey(toolPrivate));
    }
}
