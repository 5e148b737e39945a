using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using WgSharp.Keys;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Observability;

/// <summary>
/// The daemon's opt-in Prometheus endpoint, scraped with a real HTTP client: two interfaces in their own
/// routing domains (namespaces rdomainN from <see cref="RDomainLease"/>) ping through the tunnel, and the receiver's metrics move.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class PrometheusEndpointTests : IDisposable
{
    private readonly string _sender = TestNames.NewInterface(), _receiver = TestNames.NewInterface();
    private readonly RDomainLease _senderRDomain = RDomainLease.Take(), _receiverRDomain = RDomainLease.Take();

    private int SenderRDomain => _senderRDomain.Number;
    private int ReceiverRDomain => _receiverRDomain.Number;

    public PrometheusEndpointTests() => WgSharpCli.CleanUp([_sender, _receiver], [SenderRDomain, ReceiverRDomain]);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_sender, _receiver], [SenderRDomain, ReceiverRDomain]);
        _senderRDomain.Dispose();
        _receiverRDomain.Dispose();
    }

    [Fact]
    public async Task CountersMoveAfterTrafficWithExporterNamesAndLabels()
    {
        int port = FreePorts.Tcp();
        using var receiver = new ForegroundDaemon(_receiver, environment: new Dictionary<string, string> { ["WGSHARP_METRICS"] = port.ToString(CultureInfo.InvariantCulture) });
        using var sender = new ForegroundDaemon(_sender);
        Key receiverKey = KeyGenerator.GeneratePrivateKey(), senderKey = KeyGenerator.GeneratePrivateKey();
        string senderPublic = KeyGenerator.DerivePublicKey(senderKey).ToBase64();
        int udpPort = FreePorts.Udp();
        WgSharpCli.Ok(_receiver, "wgkey", receiverKey.ToBase64(), "wgport", udpPort.ToString(CultureInfo.InvariantCulture), "rdomain", $"{ReceiverRDomain}",
            "wgpeer", senderPublic, "wgaip", "10.231.0.1/32");
        WgSharpCli.Ok(_receiver, "10.231.0.2/24", "up");
        WgSharpCli.Ok(_sender, "wgkey", senderKey.ToBase64(), "rdomain", $"{SenderRDomain}",
            "wgpeer", KeyGenerator.DerivePublicKey(receiverKey).ToBase64(), "wgendpoint", "127.0.0.1", udpPort.ToString(CultureInfo.InvariantCulture), "wgaip", "10.231.0.2/32");
        WgSharpCli.Ok(_sender, "10.231.0.1/24", "up");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string url = $"http://127.0.0.1:{port}/metrics";
        string before = await http.GetStringAsync(url);
        Assert.Equal(0, Value(before, "wireguard_received_bytes_total", senderPublic));

        WgSharpCli.Run(["route", $"-T{SenderRDomain}", "exec", "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.231.0.2"], TimeSpan.FromSeconds(20)).EnsureSuccess();

        // The exposition is cached for a second (issue 21): scrape until a fresh one shows the traffic.
        string after = await http.GetStringAsync(url);
        for (var deadline = DateTime.UtcNow.AddSeconds(5); Value(after, "wireguard_received_bytes_total", senderPublic) == 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(250);
            after = await http.GetStringAsync(url);
        }
        Assert.True(Value(after, "wireguard_received_bytes_total", senderPublic) > 0, after);
        Assert.True(Value(after, "wireguard_sent_bytes_total", senderPublic) > 0, after);
        Assert.True(Value(after, "wireguard_latest_handshake_seconds", senderPublic) > 1_600_000_000, after);
        Assert.True(Value(after, "wgsharp_peer_handshakes_received_total", senderPublic) >= 1, after);
        Assert.Matches($"wireguard_received_bytes_total\\{{[^}}]*allowed_ips=\"10.231.0.1/32\"", after);
        Assert.Matches($"wgsharp_no_route_total\\{{interface=\"{_receiver}\"\\}} \\d+\n", after); // the interface's own counters, labelled by interface only
    }

    [Fact]
    public void AMetricsAddressThatCannotBeServedFailsTheStartAndLeavesNothing()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var result = WgSharpCli.Run(["-f", _receiver, "--metrics", $"127.0.0.1:{port}"], TimeSpan.FromSeconds(30));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"wgsharp: {_receiver}: cannot serve metrics on 127.0.0.1:{port}", result.StandardError);
        Assert.False(File.Exists(WgSharp.Control.Uapi.UapiProtocol.SocketPathFor(_receiver)));
        Assert.False(WgSharp.Linux.NetNs.LinkExists(null, _receiver));
    }

    /// <summary>The value of the series <paramref name="metric"/> for this peer; fails when absent.</summary>
    private double Value(string exposition, string metric, string publicKey)
    {
        foreach (string line in exposition.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal)) continue;
            if (!line.Contains($"interface=\"{_receiver}\"", StringComparison.Ordinal) || !line.Contains($"public_key=\"{publicKey}\"", StringComparison.Ordinal)) continue;
            var value = Regex.Match(line, @"\} (\S+)").Groups[1].Value;
            return double.Parse(value, CultureInfo.InvariantCulture);
        }
        throw new Xunit.Sdk.XunitException($"no {metric} for {publicKey} in:\n{exposition}");
    }
}
