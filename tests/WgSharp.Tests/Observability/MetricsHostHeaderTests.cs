using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Cli.Daemon;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Issue 21, finding 3: a page in a browser can reach the loopback endpoint through a name it rebinds to 127.0.0.1
/// (DNS rebinding); the browser then sends that name as Host, so only the listen address, localhost and the
/// configured names are answered.
/// </summary>
public sealed class MetricsHostHeaderTests
{
    [Fact]
    public async Task AForeignHostIsRefusedAndTheListenAddressAndLocalhostAreServed()
    {
        using var meter = new Meter($"host-test-{Guid.NewGuid():N}");
        meter.CreateObservableCounter("wireguard_sent_bytes", () => new Measurement<long>(7, new KeyValuePair<string, object?>("interface", "wg0")));
        var listener = MetricsEndpointStallTests.LoopbackListener(out int port);
        using var server = MetricsEndpoint.Serve(listener, new PrometheusExposition(meter.Name), NullLogger.Instance);
        var timeout = TimeSpan.FromSeconds(30);

        string rebound = await MetricsEndpointStallTests.Scrape(port, $"GET /metrics HTTP/1.1\r\nHost: rebind.attacker.example:{port}\r\n\r\n", timeout);
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", rebound);
        Assert.DoesNotContain("wireguard_sent_bytes", rebound);

        foreach (string host in new[] { $"127.0.0.1:{port}", "127.0.0.1", $"localhost:{port}", "LOCALHOST" })
        {
            string served = await MetricsEndpointStallTests.Scrape(port, $"GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n", timeout);
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", served);
            Assert.Contains("wireguard_sent_bytes_total{interface=\"wg0\"} 7\n", served);
        }
    }
}
