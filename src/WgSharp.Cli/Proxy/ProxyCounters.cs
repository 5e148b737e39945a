using System.Collections.Concurrent;

namespace WgSharp.Cli.Proxy;

/// <summary>Counters of one service, updated with Interlocked by the service, read by the metrics exposition.</summary>
internal sealed class ProxyServiceCounters(string service)
{
    /// <summary>The service's name (<see cref="ProxyServiceSpec.ToString"/>), the metrics label.</summary>
    public string Service { get; } = service;
    /// <summary>Client connections (or UDP flows) accepted and served.</summary>
    public long Opened;
    /// <summary>Connections (or flows) open now.</summary>
    public long Active;
    /// <summary>Clients refused: bad protocol, failed authentication, over a limit, or a target that could not be reached.</summary>
    public long Refused;
    /// <summary>Payload bytes from clients into the tunnel.</summary>
    public long BytesIn;
    /// <summary>Payload bytes from the tunnel to clients.</summary>
    public long BytesOut;
}

/// <summary>Every service's counters, by service name.</summary>
internal sealed class ProxyCounters
{
    private readonly ConcurrentDictionary<string, ProxyServiceCounters> _services = new(StringComparer.Ordinal);

    /// <summary>The counters of <paramref name="spec"/>'s service (one object per name, kept across reloads).</summary>
    public ProxyServiceCounters For(ProxyServiceSpec spec) => _services.GetOrAdd(spec.ToString(), name => new ProxyServiceCounters(name));

    /// <summary>A snapshot of every service's counters, ordered by name.</summary>
    public IReadOnlyList<ProxyServiceCounters> All() => [.. _services.Values.OrderBy(s => s.Service, StringComparer.Ordinal)];
}
