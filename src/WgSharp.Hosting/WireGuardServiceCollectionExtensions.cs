using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WgSharp.Hosting;

/// <summary>Registers WireGuard interfaces as hosted services.</summary>
public static class WireGuardServiceCollectionExtensions
{
    /// <summary>
    /// Adds an interface that is created when the host starts and removed when it stops. Call once per interface.
    /// The running ones are <c>IEnumerable&lt;WireGuardInterfaceService&gt;</c> in the container.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The interface to create.</param>
    /// <param name="stopHostWhenGone">Stop the host when the interface is deleted from outside (as a daemon does).</param>
    public static IServiceCollection AddWireGuardInterface(this IServiceCollection services, WireGuardInterfaceOptions options, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(provider => new WireGuardInterfaceService(options,
            provider.GetService<ILoggerFactory>(), provider.GetService<IHostApplicationLifetime>(), stopHostWhenGone));
        // The same instance as hosted service (a second factory call would make a second interface).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WireGuardInterfaceServices>());
        return services;
    }

    /// <summary>As <see cref="AddWireGuardInterface(IServiceCollection, WireGuardInterfaceOptions, bool)"/>, on a host builder.</summary>
    public static IHostBuilder AddWireGuardInterface(this IHostBuilder builder, WireGuardInterfaceOptions options, bool stopHostWhenGone = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices((_, services) => services.AddWireGuardInterface(options, stopHostWhenGone));
    }
}
