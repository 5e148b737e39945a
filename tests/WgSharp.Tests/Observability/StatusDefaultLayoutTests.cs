using System.Net;
using WgSharp.Configuration;
using WgSharp.Control.Ifconfig;
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
    private static readonly Key PublicKey = KeyPair.DerivePublicKey(KeyPair.ClampPrivateKey(TestKeys.Make(0x41)));

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
}
