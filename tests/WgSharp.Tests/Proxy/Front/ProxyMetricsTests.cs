using System.Net;
using WgSharp.Cli.Daemon;
using WgSharp.Cli.Proxy;
using WgSharp.Device;

namespace WgSharp.Tests.Proxy.Front;

public class ProxyMetricsTests
{
    [Fact]
    public void TheExpositionShowsEachServicesCounters()
    {
        var counters = new ProxyCounters();
        var socks = counters.For(new ProxyServiceSpec(ProxyServiceKind.Socks5, IPEndPoint.Parse("127.0.0.1:1080")));
        socks.Opened = 7; socks.Active = 2; socks.Refused = 1; socks.BytesIn = 100; socks.BytesOut = 5000;
        counters.For(new ProxyServiceSpec(ProxyServiceKind.TcpForward, IPEndPoint.Parse("127.0.0.1:8080"), "db", 5432)).Opened = 3;
        using var metrics = new ProxyMetrics(counters);
        using var exposition = new PrometheusExposition(WireGuardMetrics.MeterName);
        string text = exposition.Collect();
        Assert.Contains("# TYPE wgsharp_proxy_connections_total counter\n", text);
        Assert.Contains("wgsharp_proxy_connections_total{service=\"socks5 127.0.0.1:1080\"} 7\n", text);
        Assert.Contains("wgsharp_proxy_connections_total{service=\"tcp 127.0.0.1:8080 -> db:5432\"} 3\n", text);
        Assert.Contains("# TYPE wgsharp_proxy_active gauge\n", text);
        Assert.Contains("wgsharp_proxy_active{service=\"socks5 127.0.0.1:1080\"} 2\n", text);
        Assert.Contains("wgsharp_proxy_refused_total{service=\"socks5 127.0.0.1:1080\"} 1\n", text);
        Assert.Contains("wgsharp_proxy_bytes_total{service=\"socks5 127.0.0.1:1080\",direction=\"in\"} 100\n", text);
        Assert.Contains("wgsharp_proxy_bytes_total{service=\"socks5 127.0.0.1:1080\",direction=\"out\"} 5000\n", text);
    }
}
