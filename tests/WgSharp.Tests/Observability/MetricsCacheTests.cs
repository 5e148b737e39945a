using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Cli.Daemon;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Issue 21, finding 2: with thousands of peers one collection is megabytes and up to a second of CPU, so scrapes
/// within a second share one collection, buffers are reused, and a collection that throws answers 500 without
/// ending the endpoint's thread (it used to end the daemon).
/// </summary>
public sealed class MetricsCacheTests
{
    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Now = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void ScrapesWithinASecondShareOneCollectionAndAFreeBufferIsReused()
    {
        int observed = 0;
        using var meter = new Meter($"cache-test-{Guid.NewGuid():N}");
        meter.CreateObservableCounter("reads", () => new Measurement<long>(++observed));
        using var exposition = new PrometheusExposition(meter.Name);
        var time = new ManualTime();
        var cache = new ExpositionCache(exposition, time);

        var first = cache.Acquire();
        var second = cache.Acquire();
        Assert.Same(first, second);
        Assert.Equal(1, observed);
        cache.Release(first);
        cache.Release(second);

        time.Now += TimeSpan.FromMilliseconds(999).Ticks;
        var stillCached = cache.Acquire();
        Assert.Equal(1, observed);
        cache.Release(stillCached);

        time.Now += TimeSpan.FromMilliseconds(1).Ticks;
        var fresh = cache.Acquire();
        Assert.Equal(2, observed);
        Assert.Same(first, fresh); // nobody was reading it: refilled in place
        Assert.Contains("reads_total 2\n", System.Text.Encoding.UTF8.GetString(fresh.Bytes));

        time.Now += TimeSpan.FromSeconds(1).Ticks;
        var whileHeld = cache.Acquire(); // `fresh` is still being sent: a second buffer, the first left intact
        Assert.NotSame(fresh, whileHeld);
        Assert.Contains("reads_total 2\n", System.Text.Encoding.UTF8.GetString(fresh.Bytes));
        Assert.Contains("reads_total 3\n", System.Text.Encoding.UTF8.GetString(whileHeld.Bytes));
    }

    [Fact]
    public async Task ACollectionThatThrowsIsAnswered500AndTheNextScrapeIsServed()
    {
        int calls = 0;
        using var meter = new Meter($"throw-test-{Guid.NewGuid():N}");
        meter.CreateObservableCounter("flaky", () => ++calls == 1 ? throw new InvalidOperationException("observer broke") : new Measurement<long>(5));
        var listener = MetricsEndpointStallTests.LoopbackListener(out int port);
        using var server = MetricsEndpoint.Serve(listener, new PrometheusExposition(meter.Name), NullLogger.Instance);

        string failed = await MetricsEndpointStallTests.Scrape(port, "GET /metrics HTTP/1.1\r\n\r\n", TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", failed);
        string served = await MetricsEndpointStallTests.Scrape(port, "GET /metrics HTTP/1.1\r\n\r\n", TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", served);
        Assert.Contains("flaky_total 5\n", served);
    }
}
