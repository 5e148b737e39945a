using System.Net;
using WgSharp.Keys;

namespace WgSharp.Tests.Embedding;

/// <summary>The public records print what a developer looks for in a log or debugger (public keys, counts, endpoints), never a secret or a compiler type name.</summary>
public class PublicRecordTextTests
{
    private static readonly Key PrivateKey = KeyGenerator.GeneratePrivateKey();
    private static readonly Key PeerPrivateKey = KeyGenerator.GeneratePrivateKey();
    private static readonly Key PeerPublicKey = KeyGenerator.DerivePublicKey(PeerPrivateKey);
    private static readonly Key PresharedKey = KeyGenerator.GeneratePresharedKey();

    private static readonly PeerConfiguration Peer = new()
    {
        PublicKey = PeerPublicKey,
        PresharedKey = PresharedKey,
        Endpoint = IPEndPoint.Parse("192.0.2.7:51820"),
        AllowedIPs = [IPNetwork.Parse("10.0.0.2/32"), IPNetwork.Parse("fd00::/64")],
        PersistentKeepalive = TimeSpan.FromSeconds(25),
    };

    private static readonly InterfaceConfiguration Configuration = new() { PrivateKey = PrivateKey, ListenPort = 51820, Peers = [Peer] };

    [Fact]
    public void APeerShowsItsPublicKeyEndpointAndAllowedIPsButNotItsPresharedKey()
    {
        string text = Peer.ToString();
        Assert.Contains(PeerPublicKey.ToBase64(), text, StringComparison.Ordinal);
        Assert.Contains("192.0.2.7:51820", text, StringComparison.Ordinal);
        Assert.Contains("AllowedIPs = [10.0.0.2/32, fd00::/64]", text, StringComparison.Ordinal);
        AssertNoSecretsOrCompilerNames(text);
    }

    [Fact]
    public void AConfigurationShowsItsPublicKeyPortAndPeerCountButNotItsPrivateKey()
    {
        string text = Configuration.ToString();
        Assert.Contains(KeyGenerator.DerivePublicKey(PrivateKey).ToBase64(), text, StringComparison.Ordinal);
        Assert.Contains("ListenPort = 51820", text, StringComparison.Ordinal);
        Assert.Contains("Peers = 1", text, StringComparison.Ordinal);
        AssertNoSecretsOrCompilerNames(text);
    }

    [Fact]
    public void OptionsShowTheNameAndTheNestedConfigurationAndAddresses()
    {
        var options = new WireGuardInterfaceOptions
        {
            Name = "wg7",
            Configuration = Configuration,
            Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.0.0.1/32")], DnsServers = [IPAddress.Parse("10.0.0.53")] },
        };
        string text = options.ToString();
        Assert.Contains("wg7", text, StringComparison.Ordinal);
        Assert.Contains("Addresses = [10.0.0.1/32]", text, StringComparison.Ordinal);
        Assert.Contains("DnsServers = [10.0.0.53]", text, StringComparison.Ordinal);
        Assert.Contains("Peers = 1", text, StringComparison.Ordinal);
        AssertNoSecretsOrCompilerNames(text);
    }

    [Fact]
    public void StatusesShowPublicKeysPortPeerCountAndTraffic()
    {
        var peer = new WireGuardPeerStatus { PublicKey = PeerPublicKey, AllowedIPs = [IPNetwork.Parse("10.0.0.2/32")], SentBytes = 1234, HasPresharedKey = true };
        var status = new WireGuardInterfaceStatus { Name = "wg7", PublicKey = KeyGenerator.DerivePublicKey(PrivateKey), ListenPort = 51820, Peers = [peer] };

        Assert.Contains(PeerPublicKey.ToBase64(), peer.ToString(), StringComparison.Ordinal);
        Assert.Contains("SentBytes = 1234", peer.ToString(), StringComparison.Ordinal);
        Assert.Contains("AllowedIPs = [10.0.0.2/32]", peer.ToString(), StringComparison.Ordinal);
        Assert.Contains("Peers = 1", status.ToString(), StringComparison.Ordinal);
        Assert.Contains("ListenPort = 51820", status.ToString(), StringComparison.Ordinal);
        AssertNoSecretsOrCompilerNames(peer.ToString());
        AssertNoSecretsOrCompilerNames(status.ToString());
    }

    private static void AssertNoSecretsOrCompilerNames(string text)
    {
        foreach (var secret in new[] { PrivateKey, PeerPrivateKey, PresharedKey })
        {
            Assert.DoesNotContain(secret.ToBase64(), text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret.ToHex(), text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain("<>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }
}
