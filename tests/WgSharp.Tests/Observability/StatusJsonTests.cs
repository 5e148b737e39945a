using System.Text.Json;
using WgSharp.Cli.Wg;

namespace WgSharp.Tests.Observability;

/// <summary>The documented JSON of `wgsharp show IF json` (docs/observability.md), from a fixed state.</summary>
public class StatusJsonTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void InterfaceDocumentHasEveryDocumentedField()
    {
        using var json = JsonDocument.Parse(StatusJson.Interface(StatusDefaultLayoutTests.StateWithCounters(), Now));
        var root = json.RootElement;
        Assert.Equal("wg7", root.GetProperty("interface").GetString());
        Assert.Equal(51820, root.GetProperty("listen_port").GetInt32());
        Assert.Equal(0, root.GetProperty("fwmark").GetInt32());
        Assert.Equal(44, root.GetProperty("public_key").GetString()!.Length);
        Assert.Equal(3, root.GetProperty("counters").GetProperty("no_route").GetInt64());
        var peer = Assert.Single(root.GetProperty("peers").EnumerateArray().ToList());
        Assert.Equal("192.0.2.7:51821", peer.GetProperty("endpoint").GetString());
        Assert.Equal(["10.7.0.2/32"], peer.GetProperty("allowed_ips").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1_048_576, peer.GetProperty("transfer").GetProperty("tx_bytes").GetInt64());
        Assert.Equal(2_000_001, peer.GetProperty("transfer").GetProperty("rx_bytes").GetInt64());
        Assert.Equal(1_700_000_000 - 7, peer.GetProperty("latest_handshake").GetInt64());
        Assert.Equal(7, peer.GetProperty("latest_handshake_seconds_ago").GetInt64());
        Assert.Equal(65, peer.GetProperty("keypair_age_seconds").GetInt64());
        Assert.Equal(25, peer.GetProperty("persistent_keepalive").GetInt32());
        Assert.False(peer.GetProperty("has_preshared_key").GetBoolean());
        Assert.Equal(4, peer.GetProperty("counters").GetProperty("handshakes_sent").GetInt64());
        Assert.DoesNotContain("private", json.RootElement.GetRawText());
    }

    [Fact]
    public void AllDocumentListsTheInterfaces()
    {
        using var json = JsonDocument.Parse(StatusJson.All([StatusDefaultLayoutTests.StateWithCounters(), StatusDefaultLayoutTests.State()], Now));
        var names = json.RootElement.GetProperty("interfaces").EnumerateArray().Select(i => i.GetProperty("interface").GetString());
        Assert.Equal(["wg7", "wg7"], names);
    }
}
