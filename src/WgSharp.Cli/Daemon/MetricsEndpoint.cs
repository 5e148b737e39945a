using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon's opt-in Prometheus endpoint (`wgsharp -f IFNAME --metrics ADDR:PORT`, or WGSHARP_METRICS=ADDR:PORT
/// for any start): OpenTelemetry's Prometheus exporter on its own HttpListener, serving the
/// <see cref="WireGuardMetrics"/> meter at http://ADDR:PORT/metrics. A bare PORT listens on loopback only.
/// </summary>
internal static class MetricsEndpoint
{
    public const string EnvironmentVariable = "WGSHARP_METRICS";
    public const string Option = "--metrics";

    /// <summary>The listener's host and port for "PORT" (loopback), "ADDR:PORT" or "[ADDR6]:PORT"; false with a reason otherwise.</summary>
    public static bool TryParse(string text, out string host, out int port, out string? error)
    {
        host = "";
        port = 0;
        error = null;
        IPEndPoint? endpoint = null;
        if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort bare))
            endpoint = new IPEndPoint(IPAddress.Loopback, bare);
        else if (text.Contains(':') && IPEndPoint.TryParse(text, out var parsed) && (text[0] == '[' || parsed.Address.AddressFamily == AddressFamily.InterNetwork))
            endpoint = parsed;
        if (endpoint is null || endpoint.Port == 0)
        {
            error = $"{text}: not PORT or ADDRESS:PORT";
            return false;
        }
        // A wildcard address must match any Host header, which HttpListener spells '*'.
        host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "*"
            : endpoint.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        port = endpoint.Port;
        return true;
    }

    /// <summary>Starts serving when WGSHARP_METRICS is set; null when it is not. Throws (with a user-facing message) when it cannot.</summary>
    public static IDisposable? StartFromEnvironment(WireGuardMetrics metrics)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is not { Length: > 0 } text) return null;
        if (!TryParse(text, out string host, out int port, out var error)) throw new MetricsEndpointException($"{EnvironmentVariable}: {error}");
        _ = metrics; // the meter exists while the daemon runs; the provider below listens to it by name
        return Serve(text, host, port);
    }

    /// <summary>
    /// Kept out of <see cref="StartFromEnvironment"/> so that a daemon without metrics never loads the
    /// OpenTelemetry assemblies (under the JIT, compiling a method loads what it names).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IDisposable Serve(string text, string host, int port)
    {
        try
        {
            return Sdk.CreateMeterProviderBuilder()
                .AddMeter(WireGuardMetrics.MeterName)
                .AddPrometheusHttpListener(options =>
                {
                    options.Host = host;
                    options.Port = port;
                    options.ScrapeResponseCacheDurationMilliseconds = 0; // counters are read when scraped, never stale
                    options.TargetInfoEnabled = false; // no SDK resource attributes: only wgsharp's series
                    options.ScopeInfoEnabled = false;  // no otel_scope_* labels: series as prometheus_wireguard_exporter's
                })
                .Build();
        }
        catch (Exception e)
        {
            throw new MetricsEndpointException($"cannot serve metrics on {text}: {(e.InnerException ?? e).Message}");
        }
    }
}

internal sealed class MetricsEndpointException(string message) : Exception(message);
