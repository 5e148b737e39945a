using System.Net;
using WgSharp.Keys;

namespace WgSharp.Tests.Embedding;

/// <summary>A null where the options want a collection (or a name) is an ArgumentNullException naming the property, at once.</summary>
public class OptionsNullabilityTests
{
    private static readonly PeerConfiguration Peer = new() { PublicKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()) };

    public static TheoryData<string, Func<object>> NullAssignments => new()
    {
        { "Peers", () => new InterfaceConfiguration { Peers = null! } },
        { "Peers", () => new InterfaceConfiguration() with { Peers = null! } },
        { "AllowedIPs", () => Peer with { AllowedIPs = null! } },
        { "Addresses", () => new UserspaceNetworkOptions { Addresses = null! } },
        { "DnsServers", () => new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.1.0.1/32")], DnsServers = null! } },
        { "Name", () => new WireGuardInterfaceOptions { Name = null! } },
        { "Configuration", () => new WireGuardInterfaceOptions { Name = "wg0", Configuration = null! } },
        { "ControlSocketDirectory", () => new WireGuardInterfaceOptions { Name = "wg0", ControlSocketDirectory = null! } },
    };

    [Theory]
    [MemberData(nameof(NullAssignments))]
    public void ANullCollectionOrNameIsArgumentNullNamingTheProperty(string property, Func<object> make)
    {
        var e = Assert.Throws<ArgumentNullException>(make);
        Assert.Equal(property, e.ParamName);
    }

    [Fact]
    public async Task ANullPeerInTheListIsInvalidConfigurationNotANullReference()
    {
        var options = new WireGuardInterfaceOptions
        {
            Name = "wgnull0",
            Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.1.0.1/32")] },
            Configuration = new InterfaceConfiguration { Peers = [null!] },
        };
        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));
        Assert.Equal(WireGuardErrorReason.InvalidConfiguration, e.Reason);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task AListenPortOutsideTheUdpRangeIsInvalidConfiguration(int port)
    {
        var options = new WireGuardInterfaceOptions
        {
            Name = "wgport0",
            Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.1.0.1/32")] },
            Configuration = new InterfaceConfiguration { ListenPort = port },
        };
        var e = await Assert.ThrowsAsync<WireGuardException>(() => WireGuardInterface.StartAsync(options));
        Assert.Equal(WireGuardErrorReason.InvalidConfiguration, e.Reason);
    }
}
