using System.Diagnostics.Metrics;
using WgSharp.Cli.Daemon;

namespace WgSharp.Tests.Observability;

/// <summary>The daemon's hand-written Prometheus text format (0.0.4): names, HELP/TYPE lines, label escaping.</summary>
public class PrometheusExpositionTests
{
    [Fact]
    public void CountersGetTotalGaugesKeepTheirNameAndLabelsFollowTheTags()
    {
        using var meter = new Meter(UniqueMeterName());
        meter.CreateObservableCounter("wireguard_sent_bytes", () => new Measurement<long>(42,
            new("interface", "wg0"), new("public_key", "AAAA+/=="), new("allowed_ips", "10.0.0.0/8,fd00::/64")), description: "Bytes sent to the peer");
        meter.CreateObservableGauge("wgsharp_keypair_age_seconds", () => new Measurement<long>(-1, new KeyValuePair<string, object?>("interface", "wg0")),
            description: "Age of the keys");
        using var exposition = new PrometheusExposition(meter.Name);

        Assert.Equal(
            "# HELP wireguard_sent_bytes_total Bytes sent to the peer\n" +
            "# TYPE wireguard_sent_bytes_total counter\n" +
            "wireguard_sent_bytes_total{interface=\"wg0\",public_key=\"AAAA+/==\",allowed_ips=\"10.0.0.0/8,fd00::/64\"} 42\n" +
            "# HELP wgsharp_keypair_age_seconds Age of the keys\n" +
            "# TYPE wgsharp_keypair_age_seconds gauge\n" +
            "wgsharp_keypair_age_seconds{interface=\"wg0\"} -1\n",
            exposition.Collect());
    }

    [Fact]
    public void LabelValuesAndHelpAreEscaped()
    {
        using var meter = new Meter(UniqueMeterName());
        meter.CreateObservableCounter("odd", () => new Measurement<long>(1, new KeyValuePair<string, object?>("interface", "a\"b\\c\nd")),
            description: "line one\nback\\slash \"quoted\"");
        using var exposition = new PrometheusExposition(meter.Name);

        string text = exposition.Collect();
        Assert.Contains("# HELP odd_total line one\\nback\\\\slash \"quoted\"\n", text); // HELP escapes backslash and newline only
        Assert.Contains("odd_total{interface=\"a\\\"b\\\\c\\nd\"} 1\n", text);
    }

    [Fact]
    public void ValuesAreReadAtEachCollectAndOtherMetersAreLeftOut()
    {
        using var meter = new Meter(UniqueMeterName());
        using var other = new Meter(UniqueMeterName());
        long value = 1;
        meter.CreateObservableCounter("moving", () => value);
        other.CreateObservableCounter("elsewhere", () => 7L);
        meter.CreateObservableGauge("silent", () => Array.Empty<Measurement<long>>()); // no series: no HELP/TYPE either
        using var exposition = new PrometheusExposition(meter.Name);

        Assert.Contains("moving_total 1\n", exposition.Collect());
        value = 5;
        string text = exposition.Collect();
        Assert.Contains("moving_total 5\n", text);
        Assert.DoesNotContain("elsewhere", text);
        Assert.DoesNotContain("silent", text);
    }

    private static string UniqueMeterName() => "WgSharp.Tests.Exposition." + Guid.NewGuid().ToString("N");
}
