using System.Globalization;
using System.Text.RegularExpressions;
using WgSharp.Cli.Daemon;
using WgSharp.Keys;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Observability;

/// <summary>
/// The Prometheus endpoint of a daemon that runs inside a network namespace, as a container or `ip netns exec`
/// deployment has it: two daemons in namespaces joined by veth, metrics on (WGSHARP_METRICS, the documented
/// interface) bound to an address that exists only in the receiver's namespace, traffic through the tunnel,
/// then curl run inside that namespace scrapes it and the peer's series moved.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed partial class NamespaceMetricsScrapeTests
{
    private const string InnerA = "10.235.0.1", InnerB = "10.235.0.2";
    private const int MetricsPort = 9586; // prometheus_wireguard_exporter's; free, as the namespace is new

    [Fact]
    public void CurlInsideTheNamespaceSeesTheExporterSeriesMoveAfterTraffic()
    {
        using var net = new TwoNamespaces();
        using var syslog = new FakeSyslog();
        string a = TestNames.NewInterface(), b = TestNames.NewInterface();
        string metricsUrl = $"http://{TwoNamespaces.OuterB4}:{MetricsPort}/metrics";
        try
        {
            Key keyA = KeyGenerator.GeneratePrivateKey(), keyB = KeyGenerator.GeneratePrivateKey();
            string publicA = KeyGenerator.DerivePublicKey(keyA).ToBase64();
            string[] quiet = ["LOG_LEVEL=", $"{SyslogLoggerProvider.SocketVariable}={syslog.Path}"];

            OperatorCli.OkWithEnvironment(net.B, [.. quiet, $"WGSHARP_METRICS={TwoNamespaces.OuterB4}:{MetricsPort}"], b, "create", "wgkey", keyB.ToBase64(), "wgport", "51822",
                "wgpeer", publicA, "wgaip", InnerA + "/32");
            OperatorCli.OkWithEnvironment(net.B, quiet, b, InnerB + "/24", "up");
            OperatorCli.OkWithEnvironment(net.A, quiet, a, "create", "wgkey", keyA.ToBase64(), "wgport", "51821",
                "wgpeer", KeyGenerator.DerivePublicKey(keyB).ToBase64(), "wgendpoint", TwoNamespaces.OuterB4, "51822", "wgaip", InnerB + "/32");
            OperatorCli.OkWithEnvironment(net.A, quiet, a, InnerA + "/24", "up");

            var before = Scrape(net.B, metricsUrl);
            Assert.Equal(0, before.Value("wireguard_received_bytes_total", b, publicA));
            Assert.Equal(0, before.Value("wireguard_latest_handshake_seconds", b, publicA));

            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB, TimeSpan.FromSeconds(15)), syslog.Text);
            net.A.Exec("ping", ["-c", "5", "-i", "0.2", "-s", "1000", "-W", "2", InnerB], TimeSpan.FromSeconds(20)).EnsureSuccess();

            // The exposition is cached for a second (issue 21): scrape until a fresh one shows all the pings.
            var after = Scrape(net.B, metricsUrl);
            for (var deadline = DateTime.UtcNow.AddSeconds(5); after.Value("wireguard_received_bytes_total", b, publicA) < 5 * 1000 && DateTime.UtcNow < deadline;)
            {
                Thread.Sleep(250);
                after = Scrape(net.B, metricsUrl);
            }
            Assert.True(after.Value("wireguard_received_bytes_total", b, publicA) >= 5 * 1000, after.Text);
            Assert.True(after.Value("wireguard_sent_bytes_total", b, publicA) >= 5 * 1000, after.Text);
            Assert.True(after.Value("wireguard_latest_handshake_seconds", b, publicA) > 1_600_000_000, after.Text);
            Assert.Equal(InnerA + "/32", after.Label("wireguard_sent_bytes_total", b, publicA, "allowed_ips"));
        }
        finally
        {
            OperatorCli.CleanUp(net.A, a);
            OperatorCli.CleanUp(net.B, b);
        }
    }

    /// <summary>GET /metrics with curl run inside the namespace (the address is not reachable from anywhere else).</summary>
    private static Exposition Scrape(NetworkNamespace ns, string url)
    {
        var result = ns.Exec("curl", ["--silent", "--show-error", "--fail", "--max-time", "10", url], TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0, $"curl {url} in {ns.Name}: exit {result.ExitCode}: {result.StandardError}");
        return new Exposition(result.StandardOutput);
    }

    /// <summary>Prometheus text exposition: the series of one metric, by its labels.</summary>
    private sealed partial record Exposition(string Text)
    {
        public double Value(string metric, string interfaceName, string publicKey) =>
            double.Parse(Series(metric, interfaceName, publicKey).Groups["value"].Value, CultureInfo.InvariantCulture);

        public string Label(string metric, string interfaceName, string publicKey, string label) =>
            Labels(Series(metric, interfaceName, publicKey).Groups["labels"].Value).GetValueOrDefault(label)
            ?? throw new Xunit.Sdk.XunitException($"{metric} has no label {label} in:\n{Text}");

        private Match Series(string metric, string interfaceName, string publicKey)
        {
            foreach (Match line in SeriesLine().Matches(Text))
            {
                if (line.Groups["name"].Value != metric) continue;
                var labels = Labels(line.Groups["labels"].Value);
                if (labels.GetValueOrDefault("interface") == interfaceName && labels.GetValueOrDefault("public_key") == publicKey) return line;
            }
            throw new Xunit.Sdk.XunitException($"no {metric} for interface {interfaceName}, peer {publicKey} in:\n{Text}");
        }

        private static Dictionary<string, string> Labels(string text) =>
            LabelPair().Matches(text).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
        private static partial Regex SeriesLine();

        [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>[^""]*)""")]
        private static partial Regex LabelPair();
    }
}
