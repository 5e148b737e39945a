using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace WgSharp.Hosting;

/// <summary>The container's <see cref="IWireGuardInterfaces"/>: a view of the registered services (a handful; a scan is enough).</summary>
internal sealed class WireGuardInterfaceRegistry(IEnumerable<WireGuardInterfaceService> services) : IWireGuardInterfaces
{
    private readonly WireGuardInterfaceService[] _services = [.. services];

    public int Count => _services.Length;

    public WireGuardInterfaceService? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Array.Find(_services, s => string.Equals(s.Options.Name, name, StringComparison.Ordinal));
    }

    public bool TryGetInterface(string name, [NotNullWhen(true)] out WireGuardInterface? running)
    {
        running = Find(name)?.Interface;
        return running is not null;
    }

    public IEnumerator<WireGuardInterfaceService> GetEnumerator() => ((IEnumerable<WireGuardInterfaceService>)_services).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
