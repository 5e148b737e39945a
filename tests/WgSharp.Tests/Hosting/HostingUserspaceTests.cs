using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WgSharp.Hosting;
using WgSharp.Keys;

namespace WgSharp.Tests.Hosting;

/// <summary>
/// The hosting package's ways in (options, a factory, a configuration section), the host's meter factory and the lookup
/// by name, with userspace-mode interfaces: no root, no namespace, no TUN.
/// </summary>
public class HostingUserspaceTests
{
    private static readonly Key PrivateKey = KeyGenerator.GeneratePrivateKey();
    private static readonly Key PeerKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());

    private static WireGuardInterfaceOptions Options(string name) => new()
    {
        Name = name,
        Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.61.0.1/32")] },
        Configuration = new InterfaceConfiguration { PrivateKey = PrivateKey },
    };

    [Fact]
    public async Task AFactoryOverloadBuildsTheOptionsFromTheContainerAndTheRegistryFindsItByName()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new InterfaceName("wgfactory0"));
        builder.Services.AddWireGuardInterface(provider => Options(provider.GetRequiredService<InterfaceName>().Value));
        builder.Services.AddWireGuardInterface(Options("wgplain0"));
        using var host = builder.Build();

        await host.StartAsync();
        var interfaces = host.Services.GetRequiredService<IWireGuardInterfaces>();

        Assert.Equal(["wgfactory0", "wgplain0"], interfaces.Select(s => s.Options.Name));
        Assert.True(interfaces.TryGetInterface("wgfactory0", out var running));
        Assert.Equal("wgfactory0", running.Name);
        Assert.Equal(KeyGenerator.DerivePublicKey(PrivateKey), running.GetStatus().PublicKey);
        Assert.Same(interfaces.Find("wgplain0"), host.Services.GetServices<WireGuardInterfaceService>().Last());
        Assert.Null(interfaces.Find("wg-none"));
        Assert.False(interfaces.TryGetInterface("wg-none", out _));

        await host.StopAsync();
        Assert.False(interfaces.TryGetInterface("wgfactory0", out _));
    }

    [Fact]
    public async Task TheHostsMeterFactoryMakesTheInterfacesMeter()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddWireGuardInterface(Options("wgmeter0"));
        using var host = builder.Build();
        var hostMeters = host.Services.GetRequiredService<IMeterFactory>();
        var scopes = new List<object?>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) => { if (instrument.Meter.Name == "WgSharp") lock (scopes) scopes.Add(instrument.Meter.Scope); };
        listener.Start();

        await host.StartAsync();
        try
        {
            lock (scopes)
            {
                // A MeterListener hears every "WgSharp" meter of the process, other tests' interfaces included (those have
                // no factory): what matters is that this host's factory made one.
                Assert.Contains(scopes, scope => ReferenceEquals(scope, hostMeters));
            }
        }
        finally { await host.StopAsync(); }
    }

    [Fact]
    public async Task AConfigurationSectionBecomesTheInterface()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WireGuard:Name"] = "wgconfig0",
            ["WireGuard:PrivateKey"] = PrivateKey.ToBase64(),
            ["WireGuard:Userspace:Addresses:0"] = "10.62.0.1",
            ["WireGuard:Userspace:DnsServers:0"] = "10.62.0.53",
            ["WireGuard:Peers:0:PublicKey"] = PeerKey.ToBase64(),
            ["WireGuard:Peers:0:Endpoint"] = "192.0.2.7:51820",
            ["WireGuard:Peers:0:AllowedIPs:0"] = "10.62.0.0/24",
            ["WireGuard:Peers:0:AllowedIPs:1"] = "fd62::/64",
            ["WireGuard:Peers:0:PersistentKeepalive"] = "25",
        }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddWireGuardInterface(configuration.GetSection("WireGuard"));
        using var host = builder.Build();

        await host.StartAsync();
        try
        {
            Assert.True(host.Services.GetRequiredService<IWireGuardInterfaces>().TryGetInterface("wgconfig0", out var running));
            var status = running.GetStatus();
            Assert.Equal(KeyGenerator.DerivePublicKey(PrivateKey), status.PublicKey);
            var peer = Assert.Single(status.Peers);
            Assert.Equal(PeerKey, peer.PublicKey);
            Assert.Equal(IPEndPoint.Parse("192.0.2.7:51820"), peer.Endpoint);
            Assert.Equal([IPNetwork.Parse("10.62.0.0/24"), IPNetwork.Parse("fd62::/64")], peer.AllowedIPs);
            Assert.Equal(TimeSpan.FromSeconds(25), peer.PersistentKeepalive);
            Assert.Equal([IPNetwork.Parse("10.62.0.1/32")], running.Network.Addresses);
        }
        finally { await host.StopAsync(); }
    }

    [Theory]
    [InlineData("WireGuard:PrivateKey", "not-a-key-but-a-secret", "WireGuard:PrivateKey")]
    [InlineData("WireGuard:Peers:0:AllowedIPs:0", "10.62.0.1/24", "WireGuard:Peers:0:AllowedIPs:0")]
    [InlineData("WireGuard:Peers:0:Endpoint", "somewhere", "WireGuard:Peers:0:Endpoint")]
    [InlineData("WireGuard:ListenPort", "many", "WireGuard")]
    public async Task AWrongEntryFailsTheStartNamingTheEntryNotItsValue(string entry, string value, string named)
    {
        var values = new Dictionary<string, string?>
        {
            ["WireGuard:Name"] = "wgbad0",
            ["WireGuard:Userspace:Addresses:0"] = "10.63.0.1/32",
            ["WireGuard:Peers:0:PublicKey"] = PeerKey.ToBase64(),
        };
        values[entry] = value;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddWireGuardInterface(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("WireGuard"));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<WireGuardException>(() => host.StartAsync());

        Assert.Equal(WireGuardErrorReason.InvalidConfiguration, e.Reason);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, e.Message, StringComparison.Ordinal);
    }

    private sealed record InterfaceName(string Value);
}
