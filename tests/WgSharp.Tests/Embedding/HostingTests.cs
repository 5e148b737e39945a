using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WgSharp.Hosting;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>Interfaces as hosted services of a real Generic Host (root, namespaces).</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class HostingTests
{
    [Fact]
    public async Task AHostStartsItsInterfacesAndRemovesThemWhenItStops()
    {
        using var netns = NetworkNamespace.Create();
        var first = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey());
        var second = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey());
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWireGuardInterface(first).AddWireGuardInterface(second);
        using var host = builder.Build();

        await host.StartAsync();
        var services = host.Services.GetServices<WireGuardInterfaceService>().ToList();
        Assert.Equal([first.Name, second.Name], services.Select(s => s.Interface!.Name));
        Assert.True(NetNs.LinkExists(netns.Name, first.Name));
        Assert.True(NetNs.LinkExists(netns.Name, second.Name));
        Assert.Equal(KeyGenerator.DerivePublicKey(first.Configuration.PrivateKey!.Value), services[0].Interface!.GetStatus().PublicKey);

        await host.StopAsync();

        Assert.All(services, s => Assert.Null(s.Interface));
        Assert.False(NetNs.LinkExists(netns.Name, first.Name));
        Assert.False(NetNs.LinkExists(netns.Name, second.Name));
    }

    [Fact]
    public async Task AnInterfaceThatCannotStartFailsTheHostAndUndoesTheOthers()
    {
        using var netns = NetworkNamespace.Create();
        var good = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey());
        var bad = new WireGuardInterfaceOptions { Name = TestNames.NewInterface(), NetworkNamespace = TestNames.NewNamespace() };
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWireGuardInterface(good).AddWireGuardInterface(bad);
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<WireGuardException>(() => host.StartAsync());

        Assert.Equal(WireGuardErrorReason.NamespaceNotFound, e.Reason);
        Assert.False(NetNs.LinkExists(netns.Name, good.Name));
    }

    [Fact]
    public async Task WithStopHostWhenGoneADeletedInterfaceStopsTheHost()
    {
        using var netns = NetworkNamespace.Create();
        var options = EmbeddedPair.Options(netns, KeyGenerator.GeneratePrivateKey());
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWireGuardInterface(options, stopHostWhenGone: true);
        using var host = builder.Build();
        await host.StartAsync();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource();
        lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());

        netns.Ip("link", "del", options.Name);
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await host.StopAsync();
    }
}
