using System.Diagnostics.CodeAnalysis;

namespace WgSharp.Hosting;

/// <summary>
/// The interfaces registered with <see cref="WireGuardServiceCollectionExtensions.AddWireGuardInterface(Microsoft.Extensions.DependencyInjection.IServiceCollection, WireGuardInterfaceOptions, bool)"/>,
/// in registration order, found by name. Inject it where a running interface is needed (a controller, a health check).
/// </summary>
public interface IWireGuardInterfaces : IReadOnlyCollection<WireGuardInterfaceService>
{
    /// <summary>The registered interface named <paramref name="name"/> (ordinal comparison); null if none is.</summary>
    WireGuardInterfaceService? Find(string name);

    /// <summary>The running interface named <paramref name="name"/>; false if none is registered or it is not running (before the host started it, after it stopped).</summary>
    bool TryGetInterface(string name, [NotNullWhen(true)] out WireGuardInterface? running);
}
