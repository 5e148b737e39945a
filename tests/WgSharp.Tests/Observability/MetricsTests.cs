using System.Diagnostics.Metrics;
using System.Net;
using WgSharp.Cli.Daemon;
using WgSharp.Device;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Observability;

/// <summary>The meter an embedding application collects, and the daemon's --metrics address rule.</summary>
public class MetricsTests
{
    [Fact]
    public void MeterReportsThePeersBytesAndTheInterfaceDropsWhenCollected()
    {
        using var pair = new InMemoryPair();
        pair.A.Tunnel.Inject(TestPackets.Tcp(IPAddress.Parse(InMemoryPair.InnerA), IPAddress.Parse(InMemoryPair.InnerB), 1, 0, 200),
            TestPackets.Tcp(IPAddress.Parse(InMemoryPair.InnerA), IPAddress.Parse("10.9.9.9"), 1, 1, 200));
        pair.B.Tunnel.NextWritten(TimeSpan.FromSeconds(30));
        using var metrics = new WireGuardMetrics();
        metrics.Add(pair.A.Device);

        var seen = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == WireGuardMetrics.MeterName) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            lock (seen) seen.Add((instrument.Name, value, map));
        });
        listener.Start();
        listener.RecordObservableInstruments();

        var sent = seen.Single(m => m.Instrument == "wireguard_sent_bytes" && (string?)m.Tags["interface"] == pair.A.Device.InterfaceName);
        Assert.True(sent.Value > 0);
        Assert.Equal(pair.B.PublicKey.ToBase64(), sent.Tags["public_key"]);
        Assert.Equal("10.0.0.2/32", sent.Tags["allowed_ips"]);
        Assert.Equal(1, seen.Single(m => m.Instrument == "wgsharp_no_route").Value);
        Assert.Equal(1, seen.Single(m => m.Instrument == "wgsharp_peer_handshakes_sent").Value);
    }

    [Theory]
    [InlineData("9586", "127.0.0.1", 9586)]
    [InlineData("10.1.2.3:9586", "10.1.2.3", 9586)]
    [InlineData("0.0.0.0:9100", null, 9100)] // null: every address, both families
    [InlineData("[::1]:9586", "::1", 9586)]
    [InlineData("[::]:9586", null, 9586)]
    [InlineData("[fe80::1]:80", "fe80::1", 80)]
    public void MetricsAddressIsLoopbackUnlessGiven(string text, string? address, int port)
    {
        Assert.True(MetricsEndpoint.TryParse(text, out var parsedAddress, out var parsedPort, out var error));
        Assert.Null(error);
        Assert.Equal<IPAddress?>(address is null ? null : IPAddress.Parse(address), parsedAddress);
        Assert.Equal(port, parsedPort);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("localhost:9586")]
    [InlineData("::1")]
    public void BadMetricsAddressIsRefused(string text)
    {
        Assert.False(MetricsEndpoint.TryParse(text, out _, out _, out var error));
        Assert.Contains("not PORT, ADDRESS:PORT or unix:/PATH", error);
    }
}
