using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WgSharp.Hosting;

/// <summary>Registers WireGuard interfaces as hosted services.</summary>
/// <example>
/// <code>
/// builder.Services.AddWireGuardInterface(builder.Configuration.GetSection("WireGuard"));
/// // later: services.GetRequiredService&lt;IWireGuardInterfaces&gt;().TryGetInterface("wg0", out var wg)
/// </code>
/// </example>
public static class WireGuardServiceCollectionExtensions
{
    /// <summary>
    /// Adds an interface that is created when the host starts and removed when it stops. Call once per interface;
    /// they start in registration order. Find them with <see cref="IWireGuardInterfaces"/> (or
    /// <c>IEnumerable&lt;WireGuardInterfaceService&gt;</c>). Without a <see cref="WireGuardInterfaceOptions.MeterFactory"/>,
    /// the host's <see cref="IMeterFactory"/> makes the interface's meter.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The interface to create.</param>
    /// <param name="stopHostWhenGone">Stop the host when the interface is deleted from outside (as a daemon does).</param>
    public static IServiceCollection AddWireGuardInterface(this IServiceCollection services, WireGuardInterfaceOptions options, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddWireGuardInterface(_ => options, stopHostWhenGone);
    }

    /// <summary>
    /// As <see cref="AddWireGuardInterface(IServiceCollection, WireGuardInterfaceOptions, bool)"/>, with options made from the
    /// container when the host starts (from <c>IOptions&lt;T&gt;</c>, a secrets store, another service...).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="optionsFactory">Makes the options; called once, when the host resolves its hosted services.</param>
    /// <param name="stopHostWhenGone">Stop the host when the interface is deleted from outside (as a daemon does).</param>
    public static IServiceCollection AddWireGuardInterface(this IServiceCollection services, Func<IServiceProvider, WireGuardInterfaceOptions> optionsFactory, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(optionsFactory);
        services.AddSingleton(provider =>
        {
            var options = optionsFactory(provider) ?? throw new InvalidOperationException("the WireGuard options factory returned null");
            if (options.MeterFactory is null && provider.GetService<IMeterFactory>() is { } meters) options = options with { MeterFactory = meters };
            return new WireGuardInterfaceService(options, provider.GetService<ILoggerFactory>(), provider.GetService<IHostApplicationLifetime>(), stopHostWhenGone);
        });
        // The same instance as hosted service (a second factory call would make a second interface).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WireGuardInterfaceServices>());
        services.TryAddSingleton<IWireGuardInterfaces, WireGuardInterfaceRegistry>();
        return services;
    }

    /// <summary>
    /// As <see cref="AddWireGuardInterface(IServiceCollection, WireGuardInterfaceOptions, bool)"/>, with the options read from a
    /// configuration section when the host starts: <c>Name</c>, <c>PrivateKey</c>, <c>ListenPort</c>, <c>Peers</c> (each
    /// <c>PublicKey</c>, <c>PresharedKey</c>, <c>Endpoint</c>, <c>AllowedIPs</c>, <c>PersistentKeepalive</c> in seconds),
    /// <c>Userspace</c> (<c>Addresses</c>, <c>DnsServers</c>) and the other <see cref="WireGuardInterfaceOptions"/> by name.
    /// A wrong entry fails the host's start with a <see cref="WireGuardException"/> (InvalidConfiguration) that names the
    /// entry, not its value. docs/embedding.md has an appsettings.json example.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The interface's section, e.g. <c>builder.Configuration.GetSection("WireGuard")</c>.</param>
    /// <param name="stopHostWhenGone">Stop the host when the interface is deleted from outside (as a daemon does).</param>
    public static IServiceCollection AddWireGuardInterface(this IServiceCollection services, IConfiguration configuration, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddWireGuardInterface(_ => WireGuardConfigurationReader.Read(configuration), stopHostWhenGone);
    }

    /// <summary>As <see cref="AddWireGuardInterface(IServiceCollection, WireGuardInterfaceOptions, bool)"/>, on a host builder.</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="options">The interface to create.</param>
    /// <param name="stopHostWhenGone">Stop the host when the interface is deleted from outside (as a daemon does).</param>
    public static IHostBuilder AddWireGuardInterface(this IHostBuilder builder, WireGuardInterfaceOptions options, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices((_, services) => services.AddWireGuardInterface(options, stopHostWhenGone));
    }
}
