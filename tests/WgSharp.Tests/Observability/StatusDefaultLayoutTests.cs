using System.Net;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;
using WgSharp.Control.Uapi;
using WgSharp.Keys;
using WgSharp.Tests.Ifconfig;

namespace WgSharp.Tests.Observability;

/// <summary>
/// Scripts grep and cut `wgsharp IF`: its default layout must not change when the status gains counters.
/// The golden string below is the formatter's output captured before the counters existed.
/// </summary>
public class StatusDefaultLayoutTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly Key PublicKey = KeyGenerator.DerivePublicKey(KeyGenerator.ClampPrivateKey(TestKeys.Make(0x41)));

    private static IpPrefix P(string address, int bits) => new(IPAddress.Parse(address), bits);

    internal static InterfaceInfo Wg7() => new()
    {
        Name = "wg7",
        Flags = InterfaceInfo.WgFlags(up: true, debug: false),
        Mtu = 1420,
        Index = 9,
        Addresses = [P("10.7.0.1", 24)],
    };

    internal static DeviceStatus State() => new()
    {
        InterfaceName = "wg7",
        PublicKey = PublicKey,
        ListenPort = 51820,
        Peers =
        [
            new PeerStatus
            {
                PublicKey = TestKeys.Make(0x52),
                PersistentKeepalive = 25,
                Endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 51821),
                TxBytes = 1_048_576,
                RxBytes = 2_000_001,
                LastHandshake = Now.AddSeconds(-7),
                AllowedIps = [P("10.7.0.2", 32)],
            },
        ],
    };

    internal static readonly string Golden =
        "wg7: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> mtu 1420\n" +
        "\tindex 9 priority 0 llprio 3\n" +
        "\twgport 51820\n" +
        $"\twgpubkey {PublicKey.ToBase64()}\n" +
        $"\twgpeer {TestKeys.Base64(0x52)}\n" +
        "\t\twgpka 25 (sec)\n" +
        "\t\twgendpoint 192.0.2.7 51821\n" +
        "\t\ttx: 1048576, rx: 2000001\n" +
        "\t\tlast handshake: 7 seconds ago\n" +
        "\t\twgaip 10.7.0.2/32\n" +
        "\tgroups: wg\n" +
        "\tinet 10.7.0.1 netmask 0xffffff00 broadcast 10.7.0.255\n";

    [Fact]
    public void DefaultOutputIsTodaysLayout()
    {
        Assert.Equal(Golden, StatusFormatter.Format(Wg7(), State(), Now));
    }

    /// <summary>The same state with counters, as a wgsharp daemon now reports it.</summary>
    internal static DeviceStatus StateWithCounters()
    {
        var plain = State();
        var peer = plain.Peers[0];
        return new DeviceStatus
        {
            InterfaceName = plain.InterfaceName,
            PublicKey = plain.PublicKey,
            ListenPort = plain.ListenPort,
            Counters = [new("no_route", 3), new("decrypt_failed", 1)],
            Peers =
            [
                new PeerStatus
                {
                    PublicKey = peer.PublicKey,
                    PersistentKeepalive = peer.PersistentKeepalive,
                    Endpoint = peer.Endpoint,
                    TxBytes = peer.TxBytes,
                    RxBytes = peer.RxBytes,
                    LastHandshake = peer.LastHandshake,
                    AllowedIps = peer.AllowedIps,
                    Counters = [new("unallowed_source", 2), new("handshakes_sent", 4)],
                    KeypairAge = TimeSpan.FromSeconds(65.9),
                },
            ],
        };
    }

    [Fact]
    public void CountersLeaveTheDefaultOutputByteIdentical()
    {
        Assert.Equal(Golden, StatusFormatter.Format(Wg7(), StateWithCounters(), Now));
    }

    [Fact]
    public void VerboseAddsTheCounterLinesAndNothingElse()
    {
        string expected =
            "wg7: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> mtu 1420\n" +
            "\tindex 9 priority 0 llprio 3\n" +
            "\twgport 51820\n" +
            $"\twgpubkey {PublicKey.ToBase64()}\n" +
            "\tcounter no_route: 3\n" +
            "\tcounter decrypt_failed: 1\n" +
            $"\twgpeer {TestKeys.Base64(0x52)}\n" +
            "\t\twgpka 25 (sec)\n" +
            "\t\twgendpoint 192.0.2.7 51821\n" +
            "\t\ttx: 1048576, rx: 2000001\n" +
            "\t\tlast handshake: 7 seconds ago\n" +
            "\t\tkeypair age: 65 seconds\n" +
            "\t\tcounter unallowed_source: 2\n" +
            "\t\tcounter handshakes_sent: 4\n" +
            "\t\twgaip 10.7.0.2/32\n" +
            "\tgroups: wg\n" +
            "\tinet 10.7.0.1 netmask 0xffffff00 broadcast 10.7.0.255\n";
        Assert.Equal(expected, StatusFormatter.Format(Wg7(), StateWithCounters(), Now, verbose: true));
    }

    [Fact]
    public void Get1ReplyIsUnchangedByCounters()
    {
        Assert.Equal(UapiGetFormatter.FormatReply(State()), UapiGetFormatter.FormatReply(StateWithCounters()));
    }

    [Theory]
    [InlineData(new[] { "verbose" }, null)]
    [InlineData(new[] { "inet", "verbose" }, System.Net.Sockets.AddressFamily.InterNetwork)]
    [InlineData(new[] { "verbose", "inet6" }, System.Net.Sockets.AddressFamily.InterNetworkV6)]
    public void VerboseWordAsksForTheStatus(string[] words, System.Net.Sockets.AddressFamily? family)
    {
        Assert.True(IfconfigParser.TryParse("wg7", words, out var command, out _));
        Assert.True(command.ShowStatus);
        Assert.True(command.StatusVerbose);
        Assert.Equal(family, command.StatusFamily);
        Assert.True(IfconfigParser.TryParse("wg7", [], out var plain, out _));
        Assert.False(plain.StatusVerbose);
    }
}
