using System.Diagnostics.Metrics;
using WgSharp.Cli.Proxy;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The proxy's per-service counters (<see cref="ProxyCounters"/>) as instruments on the "WgSharp" meter, so the one
/// Prometheus endpoint (<see cref="MetricsEndpoint"/>) shows them beside the interface's: wgsharp_proxy_connections_total,
/// wgsharp_proxy_active, wgsharp_proxy_refused_total and wgsharp_proxy_bytes_total{direction="in"|"out"}, each
/// labelled service="socks5 127.0.0.1:1080" (and so on). Read at scrape time: nothing per connection.
/// </summary>
internal sealed class ProxyMetrics : IDisposable
{
    private readonly Meter _meter = new(WireGuardMetrics.MeterName);

    public ProxyMetrics(ProxyCounters counters)
    {
        _meter.CreateObservableCounter("wgsharp_proxy_connections", () => Each(counters, c => Volatile.Read(ref c.Opened)),
            description: "Client connections (or UDP flows) a proxy service accepted");
        _meter.CreateObservableGauge("wgsharp_proxy_active", () => Each(counters, c => Volatile.Read(ref c.Active)),
            description: "Client connections (or UDP flows) a proxy service holds now");
        _meter.CreateObservableCounter("wgsharp_proxy_refused", () => Each(counters, c => Volatile.Read(ref c.Refused)),
            description: "Clients a proxy service refused (bad protocol, authentication, limits, unreachable target)");
        _meter.CreateObservableCounter("wgsharp_proxy_bytes", () => Bytes(counters),
            description: "Payload bytes a proxy service carried, in = from clients into the tunnel, out = back to clients");
    }

    private static IEnumerable<Measurement<long>> Each(ProxyCounters counters, Func<ProxyServiceCounters, long> value) =>
        counters.All().Select(c => new Measurement<long>(value(c), new KeyValuePair<string, object?>("service", c.Service)));

    private static IEnumerable<Measurement<long>> Bytes(ProxyCounters counters)
    {
        foreach (var c in counters.All())
        {
            yield return new Measurement<long>(Volatile.Read(ref c.BytesIn), new("service", c.Service), new("direction", "in"));
            yield return new Measurement<long>(Volatile.Read(ref c.BytesOut), new("service", c.Service), new("direction", "out"));
        }
    }

    public void Dispose() => _meter.Dispose();
}
