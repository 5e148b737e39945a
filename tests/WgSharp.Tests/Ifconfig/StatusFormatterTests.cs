using System.Net;
using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;
using WgSharp.Keys;

namespace WgSharp.Tests.Ifconfig;

public class StatusFormatterTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly Key PrivateKey = KeyGenerator.ClampPrivateKey(TestKeys.Make(0x41));
    private static readonly Key PublicKey = KeyGenerator.DerivePublicKey(PrivateKey);

    private static IpPrefix P(string address, int bits) => new(IPAddress.Parse(address), bits);

    private static InterfaceInfo Wg1(bool up = true) => new()
    {
        Name = "wg1",
        Flags = InterfaceInfo.WgFlags(up, debug: false),
        Mtu = 1420,
        Index = 5,
        RDomain = 1,
        Addresses = [P("192.168.5.1", 24), P("fd00::1", 64)],
    };

    private static DeviceStatus FullStatus() => new()
    {
        InterfaceName = "wg1",
        PrivateKey = PrivateKey,
        PublicKey = PublicKey,
        ListenPort = 7111,
        RTable = 2,
        Peers =
        [
            new PeerStatus
            {
                PublicKey = TestKeys.Make(0x22),
                PresharedKey = TestKeys.Make(0x33),
                Description = "wg2 in rdomain 2",
                PersistentKeepalive = 25,
                Endpoint = new IPEndPoint(IPAddress.Loopback, 7222),
                TxBytes = 1234,
                RxBytes = 5678,
                LastHandshake = Now.AddSeconds(-42).AddMilliseconds(-300),
                AllowedIps = [P("192.168.5.2", 32), P("fd00::2", 128)],
            },
            new PeerStatus
            {
                PublicKey = TestKeys.Make(0x23),
                AllowedIps = [],
            },
        ],
    };

    [Fact]
    public void GoldenFullStatus()
    {
        string expected =
            "wg1: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> rdomain 1 mtu 1420\n" +
            "\tindex 5 priority 0 llprio 3\n" +
            "\twgport 7111\n" +
            "\twgrtable 2\n" +
            $"\twgpubkey {PublicKey.ToBase64()}\n" +
            $"\twgpeer {TestKeys.Base64(0x22)}\n" +
            "\t\twgdescr: wg2 in rdomain 2\n" +
            "\t\twgpsk (present)\n" +
            "\t\twgpka 25 (sec)\n" +
            "\t\twgendpoint 127.0.0.1 7222\n" +
            "\t\ttx: 1234, rx: 5678\n" +
            "\t\tlast handshake: 43 seconds ago\n" +
            "\t\twgaip 192.168.5.2/32\n" +
            "\t\twgaip fd00::2/128\n" +
            $"\twgpeer {TestKeys.Base64(0x23)}\n" +
            "\t\ttx: 0, rx: 0\n" +
            "\tgroups: wg\n" +
            "\tinet 192.168.5.1 netmask 0xffffff00 broadcast 192.168.5.255\n" +
            "\tinet6 fd00::1 prefixlen 64\n";
        Assert.Equal(expected, StatusFormatter.Format(Wg1(), FullStatus(), Now));
    }

    [Fact]
    public void GrepCutExtractsThePublicKey()
    {
        // PUB1="`ifconfig wg1 | grep 'wgpubkey' | cut -d ' ' -f 2`"
        string output = StatusFormatter.Format(Wg1(), FullStatus(), Now);
        var lines = output.Split('\n').Where(l => l.Contains("wgpubkey", StringComparison.Ordinal)).ToList();
        string line = Assert.Single(lines);
        Assert.StartsWith("\twgpubkey ", line);
        string[] fields = line.Split(' ');
        Assert.Equal(PublicKey.ToBase64(), fields[1]);
        Assert.True(Key.TryParseBase64(fields[1], out var parsed, out _));
        Assert.Equal(PublicKey, parsed);
    }

    [Fact]
    public void NeverPrintsThePrivateKey()
    {
        string output = StatusFormatter.Format(Wg1(), FullStatus(), Now);
        Assert.DoesNotContain(PrivateKey.ToBase64(), output);
        Assert.DoesNotContain(TestKeys.Base64(0x33), output); // nor the preshared key
        Assert.DoesNotContain(PrivateKey.ToHex(), output);
    }

    [Fact]
    public void MinimalDownInterfaceWithoutKey()
    {
        var info = new InterfaceInfo { Name = "wg0", Flags = InterfaceInfo.WgFlags(up: false, debug: false), Index = 9 };
        var status = new DeviceStatus { InterfaceName = "wg0" };
        Assert.Equal(
            "wg0: flags=8082<BROADCAST,NOARP,MULTICAST> mtu 1420\n" +
            "\tindex 9 priority 0 llprio 3\n" +
            "\tgroups: wg\n",
            StatusFormatter.Format(info, status, Now));
    }

    [Theory]
    [InlineData((int)InterfaceFlags.None, "flags=0<>")]
    [InlineData((int)(InterfaceFlags.Up | InterfaceFlags.Debug | InterfaceFlags.PointToPoint), "flags=15<UP,DEBUG,POINTOPOINT>")]
    [InlineData(0x80c7, "flags=80c7<UP,BROADCAST,DEBUG,RUNNING,NOARP,MULTICAST>")]
    public void FlagsRenderLikePrintb(int flags, string expected) // int: InterfaceFlags is internal, a test method is public
    {
        Assert.Equal(expected, StatusFormatter.FormatFlags((InterfaceFlags)flags));
    }

    [Fact]
    public void WgFlagsWithDebug()
    {
        Assert.Equal(InterfaceFlags.Up | InterfaceFlags.Broadcast | InterfaceFlags.Debug | InterfaceFlags.Running |
                     InterfaceFlags.NoArp | InterfaceFlags.Multicast, InterfaceInfo.WgFlags(up: true, debug: true));
    }

    [Fact]
    public void HandshakeAgeIsWholeSecondsAndAbsentWithoutHandshake()
    {
        static string Peer(DateTimeOffset? handshake) => StatusFormatter.Format(
            new InterfaceInfo { Name = "wg1" },
            new DeviceStatus { InterfaceName = "wg1", Peers = [new PeerStatus { PublicKey = TestKeys.Make(1), LastHandshake = handshake }] },
            Now);
        Assert.Contains("\t\tlast handshake: 0 seconds ago\n", Peer(Now));
        Assert.Contains("\t\tlast handshake: 3600 seconds ago\n", Peer(Now.AddHours(-1)));
        Assert.Contains("\t\tlast handshake: 0 seconds ago\n", Peer(Now.AddSeconds(30))); // clock stepped back
        Assert.DoesNotContain("last handshake", Peer(null));
        Assert.DoesNotContain("last handshake", Peer(DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void ZeroPresharedKeyAndZeroKeepaliveAreNotShown()
    {
        var status = new DeviceStatus
        {
            InterfaceName = "wg1",
            Peers = [new PeerStatus { PublicKey = TestKeys.Make(1), PresharedKey = Key.Zero, PersistentKeepalive = 0 }],
        };
        string output = StatusFormatter.Format(new InterfaceInfo { Name = "wg1" }, status, Now);
        Assert.DoesNotContain("wgpsk", output);
        Assert.DoesNotContain("wgpka", output);
        Assert.DoesNotContain("wgendpoint", output);
        Assert.DoesNotContain("wgport", output);
        Assert.DoesNotContain("wgrtable", output);
        Assert.DoesNotContain("wgpubkey", output);
    }

    [Fact]
    public void IPv6EndpointIsHostSpacePort()
    {
        var status = new DeviceStatus
        {
            InterfaceName = "wg1",
            Peers = [new PeerStatus { PublicKey = TestKeys.Make(1), Endpoint = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 51820) }],
        };
        Assert.Contains("\t\twgendpoint 2001:db8::7 51820\n", StatusFormatter.Format(new InterfaceInfo { Name = "wg1" }, status, Now));
    }

    [Fact]
    public void ShowPeersFalseKeepsInterfaceLinesOnly()
    {
        string output = StatusFormatter.Format(Wg1(), FullStatus(), Now, showPeers: false);
        Assert.Contains("\twgpubkey ", output);
        Assert.DoesNotContain("wgpeer", output);
        Assert.DoesNotContain("wgaip", output);
    }

    [Fact]
    public void WithoutDeviceStatusNoWgLines()
    {
        string output = StatusFormatter.Format(Wg1(), null, Now);
        Assert.DoesNotContain("\twg", output);
        Assert.Contains("\tgroups: wg\n", output);
    }

    [Fact]
    public void OnlyFamilyFiltersAddresses()
    {
        string inet = StatusFormatter.Format(Wg1(), null, Now, onlyFamily: AddressFamily.InterNetwork);
        Assert.Contains("\tinet 192.168.5.1 ", inet);
        Assert.DoesNotContain("inet6", inet);
        string inet6 = StatusFormatter.Format(Wg1(), null, Now, onlyFamily: AddressFamily.InterNetworkV6);
        Assert.DoesNotContain("\tinet 192", inet6);
        Assert.Contains("\tinet6 fd00::1 prefixlen 64\n", inet6);
    }

    [Theory]
    [InlineData("10.0.0.1", 8, "\tinet 10.0.0.1 netmask 0xff000000 broadcast 10.255.255.255\n")]
    [InlineData("10.0.0.1", 32, "\tinet 10.0.0.1 netmask 0xffffffff broadcast 10.0.0.1\n")]
    [InlineData("10.0.0.0", 31, "\tinet 10.0.0.0 netmask 0xfffffffe\n")]
    [InlineData("0.0.0.0", 0, "\tinet 0.0.0.0 netmask 0x0 broadcast 255.255.255.255\n")]
    public void InetLines(string address, int bits, string expected)
    {
        var info = new InterfaceInfo { Name = "wg1", Addresses = [P(address, bits)] };
        Assert.EndsWith(expected, StatusFormatter.Format(info, null, Now));
    }

    [Fact]
    public void InetWithoutBroadcastFlagHasNoBroadcast()
    {
        var info = new InterfaceInfo { Name = "wg1", Flags = InterfaceFlags.Up, Addresses = [P("10.0.0.1", 24)] };
        Assert.EndsWith("\tinet 10.0.0.1 netmask 0xffffff00\n", StatusFormatter.Format(info, null, Now));
    }

    [Fact]
    public void LinkLocalInet6HasScope()
    {
        var info = new InterfaceInfo { Name = "wg1", Index = 12, Addresses = [P("fe80::1", 64)] };
        Assert.EndsWith("\tinet6 fe80::1%wg1 prefixlen 64 scopeid 0xc\n", StatusFormatter.Format(info, null, Now));
    }

    [Fact]
    public void DescriptionsCannotForgeLines()
    {
        var info = new InterfaceInfo { Name = "wg1", Description = "uplink\n\twgpubkey FAKE" };
        var status = new DeviceStatus
        {
            InterfaceName = "wg1",
            Peers = [new PeerStatus { PublicKey = TestKeys.Make(1), Description = "peer\nwgpubkey FAKE" }],
        };
        string output = StatusFormatter.Format(info, status, Now);
        Assert.Contains("\tdescription: uplink  wgpubkey FAKE\n", output);
        Assert.Contains("\t\twgdescr: peer wgpubkey FAKE\n", output);
        Assert.DoesNotContain(output.Split('\n'), l => l.StartsWith("\twgpubkey", StringComparison.Ordinal));
    }

    [Fact]
    public void GroupsAndPriorityAsGiven()
    {
        var info = new InterfaceInfo { Name = "wg3", Groups = ["wg", "egress"], Priority = 4, LlPrio = 5, Mtu = 0 };
        Assert.Equal(
            "wg3: flags=8082<BROADCAST,NOARP,MULTICAST>\n\tindex 0 priority 4 llprio 5\n\tgroups: wg egress\n",
            StatusFormatter.Format(info, null, Now));
    }
}
