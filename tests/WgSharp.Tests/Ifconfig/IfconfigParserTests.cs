using System.Net;
using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;
using WgSharp.Keys;

namespace WgSharp.Tests.Ifconfig;

public class IfconfigParserTests
{
    private static readonly string Priv = TestKeys.Base64(0x11);
    private static readonly string Pub1 = TestKeys.Base64(0x21);
    private static readonly string Pub2 = TestKeys.Base64(0x22);
    private static readonly string Psk = TestKeys.Base64(0x33);

    private static IfconfigCommand Ok(params string[] args)
    {
        Assert.True(IfconfigParser.TryParse("wg1", args, out var command, out var error), error?.FullMessage);
        Assert.Equal("wg1", command.InterfaceName);
        return command;
    }

    private static IpPrefix P(string text)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix, out _));
        return prefix.Value;
    }

    private static PeerUpdate OnlyPeer(IfconfigCommand command) => Assert.Single(command.Update.Peers);

    // ---- the wg(4) man page script ----

    [Fact]
    public void ManPageCreateLine()
    {
        var c = Ok("create", "wgport", "7111", "wgkey", Priv, "rdomain", "1");
        Assert.True(c.Create);
        Assert.False(c.Destroy);
        Assert.Equal(1, c.RDomain);
        Assert.Equal((ushort)7111, c.Update.ListenPort);
        Assert.Equal(TestKeys.Make(0x11), c.Update.PrivateKey);
        Assert.Null(c.Update.RTable);
        Assert.Empty(c.Update.Peers);
        Assert.Empty(c.AddAddresses);
        Assert.Null(c.Up);
        Assert.True(c.HasDeviceUpdate);
    }

    [Fact]
    public void ManPagePeerLine()
    {
        var c = Ok("wgpeer", Pub2, "wgendpoint", "127.0.0.1", "7222", "wgaip", "192.168.5.2/32");
        var peer = OnlyPeer(c);
        Assert.Equal(TestKeys.Make(0x22), peer.PublicKey);
        Assert.False(peer.Remove);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7222), peer.Endpoint);
        Assert.True(peer.ReplaceAllowedIps);
        Assert.Equal([P("192.168.5.2/32")], peer.AddAllowedIps);
        Assert.Empty(peer.RemoveAllowedIps);
        Assert.Null(peer.PresharedKey);
        Assert.Null(peer.PersistentKeepalive);
        Assert.False(c.Create);
        Assert.Empty(c.AddAddresses);
    }

    [Fact]
    public void ManPageAddressLine()
    {
        var c = Ok("192.168.5.1/24");
        Assert.Equal([new IpPrefix(IPAddress.Parse("192.168.5.1"), 24)], c.AddAddresses);
        Assert.True(c.Up); // wg(4) comes up when given an address
        Assert.True(c.ReplacePrimaryInetAddress);
        Assert.False(c.HasDeviceUpdate);
    }

    // ---- interface options ----

    [Fact]
    public void NoArgumentsShowsStatus()
    {
        var c = Ok();
        Assert.True(c.ShowStatus);
        Assert.Null(c.StatusFamily);
        Assert.False(c.HasDeviceUpdate);
    }

    [Theory]
    [InlineData("inet", AddressFamily.InterNetwork)]
    [InlineData("inet6", AddressFamily.InterNetworkV6)]
    public void FamilyAloneShowsStatusForThatFamily(string word, AddressFamily family)
    {
        var c = Ok(word);
        Assert.True(c.ShowStatus);
        Assert.Equal(family, c.StatusFamily);
    }

    [Fact]
    public void UpDownCreateDestroy()
    {
        Assert.True(Ok("up").Up);
        Assert.False(Ok("down").Up);
        Assert.False(Ok("up", "down").Up);
        Assert.Null(Ok("wgport", "1").Up);
        Assert.True(Ok("destroy").Destroy);
        Assert.False(Ok("up").ShowStatus);
    }

    [Fact]
    public void DebugOnAndOffReachTheDevice()
    {
        var on = Ok("debug");
        Assert.True(on.Debug);
        Assert.True(on.Update.Debug);
        var off = Ok("-debug");
        Assert.False(off.Debug);
        Assert.False(off.Update.Debug);
        Assert.Null(Ok("up").Debug);
    }

    [Fact]
    public void RDomainAndItsNegation()
    {
        Assert.Equal(7, Ok("rdomain", "7").RDomain);
        Assert.Equal(0, Ok("-rdomain").RDomain);
        Assert.Equal(255, Ok("rdomain", "255").RDomain);
        Assert.Null(Ok("up").RDomain);
    }

    [Fact]
    public void Mtu()
    {
        Assert.Equal(1380, Ok("mtu", "1380").Mtu);
        Assert.Null(Ok("up").Mtu);
    }

    [Fact]
    public void InetKeywordThenAddress()
    {
        var c = Ok("inet", "10.1.2.3/16");
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.1.2.3"), 16)], c.AddAddresses);
    }

    [Fact]
    public void Inet6KeywordAndBareIPv6()
    {
        var keyword = Ok("inet6", "fd00::1/64");
        Assert.Equal([new IpPrefix(IPAddress.Parse("fd00::1"), 64)], keyword.AddAddresses);
        Assert.False(keyword.ReplacePrimaryInetAddress); // inet6 addresses are always added
        Assert.True(keyword.Up);
        var bare = Ok("fd00::1/64");
        Assert.Equal(keyword.AddAddresses, bare.AddAddresses);
    }

    [Theory]
    [InlineData("10.0.0.1", 8)]
    [InlineData("172.16.0.1", 16)]
    [InlineData("192.168.1.1", 24)]
    [InlineData("224.0.0.5", 24)]
    [InlineData("fd00::5", 64)]
    public void DefaultPrefixLengthsFollowOpenBsd(string address, int bits)
    {
        Assert.Equal([new IpPrefix(IPAddress.Parse(address), bits)], Ok(address).AddAddresses);
    }

    [Theory]
    [InlineData("255.255.255.0", 24)]
    [InlineData("0xffffff00", 24)]
    [InlineData("255.255.0.0", 16)]
    [InlineData("255.255.255.255", 32)]
    [InlineData("0.0.0.0", 0)]
    public void NetmaskSetsTheLength(string mask, int bits)
    {
        var after = Ok("inet", "10.0.0.1", "netmask", mask);
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.0.0.1"), bits)], after.AddAddresses);
        var before = Ok("netmask", mask, "10.0.0.1");
        Assert.Equal(after.AddAddresses, before.AddAddresses);
    }

    [Fact]
    public void PrefixlenSetsTheLength()
    {
        Assert.Equal([new IpPrefix(IPAddress.Parse("fd00::1"), 48)], Ok("inet6", "fd00::1", "prefixlen", "48").AddAddresses);
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.0.0.1"), 30)], Ok("10.0.0.1", "prefixlen", "30").AddAddresses);
    }

    [Fact]
    public void BroadcastIsAcceptedAndIgnored()
    {
        var c = Ok("inet", "10.0.0.1", "netmask", "255.255.255.0", "broadcast", "10.0.0.255");
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.0.0.1"), 24)], c.AddAddresses);
    }

    [Fact]
    public void AliasAddsWithoutReplacing()
    {
        var c = Ok("inet", "10.0.0.2/24", "alias");
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.0.0.2"), 24)], c.AddAddresses);
        Assert.False(c.ReplacePrimaryInetAddress);
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("-alias")]
    public void DeleteRemovesTheAddress(string word)
    {
        var c = Ok("inet", "10.0.0.2/24", word);
        Assert.Equal([new IpPrefix(IPAddress.Parse("10.0.0.2"), 24)], c.DeleteAddresses);
        Assert.Empty(c.AddAddresses);
        Assert.Null(c.Up);
        Assert.False(c.ReplacePrimaryInetAddress);
    }

    [Fact]
    public void MinusInetAndInet6RemoveWholeFamilies()
    {
        Assert.Equal([AddressFamily.InterNetwork], Ok("-inet").RemoveAllAddressesOf);
        Assert.Equal([AddressFamily.InterNetworkV6], Ok("-inet6").RemoveAllAddressesOf);
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], Ok("-inet", "-inet6", "-inet").RemoveAllAddressesOf);
    }

    // ---- interface-wide wg options ----

    [Fact]
    public void WgKeyAcceptsAny32BytesUnclamped()
    {
        var raw = TestKeys.Make(0xff); // not a clamped scalar: the device clamps later
        var c = Ok("wgkey", raw.ToBase64());
        Assert.Equal(raw, c.Update.PrivateKey);
    }

    [Fact]
    public void WgPortBounds()
    {
        Assert.Equal((ushort)0, Ok("wgport", "0").Update.ListenPort);
        Assert.Equal((ushort)65535, Ok("wgport", "65535").Update.ListenPort);
    }

    [Fact]
    public void WgRTableGoesToDeviceUpdate()
    {
        var c = Ok("wgrtable", "2");
        Assert.Equal(2, c.Update.RTable);
        Assert.Null(c.RDomain);
    }

    [Fact]
    public void WgPeerAllRemovesEveryPeerButKeepsThoseInTheCommand()
    {
        var c = Ok("-wgpeerall", "wgpeer", Pub1, "wgaip", "10.0.0.0/24");
        Assert.True(c.Update.RemoveAllPeers);
        Assert.True(c.Update.ReplacePeers);
        Assert.Equal(TestKeys.Make(0x21), OnlyPeer(c).PublicKey);
    }

    // ---- peer options ----

    [Fact]
    public void WgPskAndItsNegation()
    {
        Assert.Equal(TestKeys.Make(0x33), OnlyPeer(Ok("wgpeer", Pub1, "wgpsk", Psk)).PresharedKey);
        Assert.Equal(Key.Zero, OnlyPeer(Ok("wgpeer", Pub1, "-wgpsk")).PresharedKey);
    }

    [Fact]
    public void WgPkaAndItsNegation()
    {
        Assert.Equal((ushort)25, OnlyPeer(Ok("wgpeer", Pub1, "wgpka", "25")).PersistentKeepalive);
        Assert.Equal((ushort)43200, OnlyPeer(Ok("wgpeer", Pub1, "wgpka", "43200")).PersistentKeepalive);
        Assert.Equal((ushort)0, OnlyPeer(Ok("wgpeer", Pub1, "-wgpka")).PersistentKeepalive);
    }

    [Theory]
    [InlineData("wgdescr")]
    [InlineData("wgdescription")]
    public void WgDescrSetsDescription(string word)
    {
        Assert.Equal("office", OnlyPeer(Ok("wgpeer", Pub1, word, "office")).Description);
    }

    [Theory]
    [InlineData("-wgdescr")]
    [InlineData("-wgdescription")]
    public void MinusWgDescrClearsDescription(string word)
    {
        Assert.Equal("", OnlyPeer(Ok("wgpeer", Pub1, word)).Description);
    }

    [Fact]
    public void LongDescriptionIsTruncatedTo63BytesLikeOpenBsd()
    {
        string text = new string('a', 62) + "é" + "tail"; // é is 2 bytes: it would straddle byte 63
        Assert.Equal(new string('a', 62), OnlyPeer(Ok("wgpeer", Pub1, "wgdescr", text)).Description);
        string exact = new string('b', 63);
        Assert.Equal(exact, OnlyPeer(Ok("wgpeer", Pub1, "wgdescr", exact + "c")).Description);
    }

    [Fact]
    public void MinusWgPeerRemovesThePeer()
    {
        var peer = OnlyPeer(Ok("-wgpeer", Pub1));
        Assert.True(peer.Remove);
        Assert.Equal(TestKeys.Make(0x21), peer.PublicKey);
    }

    [Fact]
    public void RepeatedWgAipAccumulatesAndReplacesThePeersSet()
    {
        var peer = OnlyPeer(Ok("wgpeer", Pub1, "wgaip", "10.0.0.0/24", "wgaip", "fd00::/64", "wgaip", "10.0.0.0/24"));
        Assert.True(peer.ReplaceAllowedIps);
        Assert.Equal([P("10.0.0.0/24"), P("fd00::/64")], peer.AddAllowedIps);
    }

    [Fact]
    public void WgAipWithoutLengthIsAHostRoute()
    {
        Assert.Equal([P("10.0.0.7/32")], OnlyPeer(Ok("wgpeer", Pub1, "wgaip", "10.0.0.7")).AddAllowedIps);
        Assert.Equal([P("fd00::7/128")], OnlyPeer(Ok("wgpeer", Pub1, "wgaip", "fd00::7")).AddAllowedIps);
    }

    [Fact]
    public void MinusWgAipRemovesOneRangeWithoutReplacing()
    {
        var peer = OnlyPeer(Ok("wgpeer", Pub1, "-wgaip", "10.0.0.0/24"));
        Assert.False(peer.ReplaceAllowedIps);
        Assert.Empty(peer.AddAllowedIps);
        Assert.Equal([P("10.0.0.0/24")], peer.RemoveAllowedIps);
    }

    [Fact]
    public void LastMentionOfARangeWins()
    {
        var removed = OnlyPeer(Ok("wgpeer", Pub1, "wgaip", "10.0.0.0/24", "wgaip", "10.1.0.0/16", "-wgaip", "10.0.0.0/24"));
        Assert.Equal([P("10.1.0.0/16")], removed.AddAllowedIps);
        Assert.Equal([P("10.0.0.0/24")], removed.RemoveAllowedIps);
        var added = OnlyPeer(Ok("wgpeer", Pub1, "-wgaip", "10.0.0.0/24", "wgaip", "10.0.0.0/24"));
        Assert.Equal([P("10.0.0.0/24")], added.AddAllowedIps);
        Assert.Empty(added.RemoveAllowedIps);
    }

    [Fact]
    public void PeerOptionsApplyToTheWgPeerImmediatelyBeforeThem()
    {
        var c = Ok("wgpeer", Pub1, "wgpka", "10", "wgaip", "10.0.1.0/24",
                   "wgpeer", Pub2, "wgpsk", Psk, "wgaip", "10.0.2.0/24", "wgendpoint", "::1", "51820");
        Assert.Equal(2, c.Update.Peers.Count);
        var first = c.Update.Peers[0];
        var second = c.Update.Peers[1];
        Assert.Equal(TestKeys.Make(0x21), first.PublicKey);
        Assert.Equal((ushort)10, first.PersistentKeepalive);
        Assert.Null(first.PresharedKey);
        Assert.Null(first.Endpoint);
        Assert.Equal([P("10.0.1.0/24")], first.AddAllowedIps);
        Assert.Equal(TestKeys.Make(0x22), second.PublicKey);
        Assert.Null(second.PersistentKeepalive);
        Assert.Equal(TestKeys.Make(0x33), second.PresharedKey);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 51820), second.Endpoint);
        Assert.Equal([P("10.0.2.0/24")], second.AddAllowedIps);
    }

    [Fact]
    public void NamingAPeerAgainContinuesItsEntry()
    {
        var c = Ok("wgpeer", Pub1, "wgaip", "10.0.1.0/24", "wgpeer", Pub2, "wgpeer", Pub1, "wgaip", "10.0.3.0/24");
        Assert.Equal(2, c.Update.Peers.Count);
        Assert.Equal([P("10.0.1.0/24"), P("10.0.3.0/24")], c.Update.Peers[0].AddAllowedIps);
    }

    [Fact]
    public void AddingThenRemovingAPeerKeepsBothStepsInOrder()
    {
        var c = Ok("wgpeer", Pub1, "-wgpeer", Pub1);
        Assert.Equal(2, c.Update.Peers.Count);
        Assert.False(c.Update.Peers[0].Remove);
        Assert.True(c.Update.Peers[1].Remove);
    }

    [Theory]
    [InlineData("[fd00::2]", "fd00::2")]
    [InlineData("fd00::2", "fd00::2")]
    [InlineData("10.9.8.7", "10.9.8.7")]
    public void WgEndpointLiterals(string host, string expected)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(expected), 1234),
            OnlyPeer(Ok("wgpeer", Pub1, "wgendpoint", host, "1234")).Endpoint);
    }

    [Fact]
    public void WgEndpointHostNameUsesTheResolverWhenGiven()
    {
        string? asked = null;
        Assert.True(IfconfigParser.TryParse("wg1", ["wgpeer", Pub1, "wgendpoint", "peer.example", "51820"],
            out var c, out _, name => { asked = name; return IPAddress.Parse("192.0.2.9"); }));
        Assert.Equal("peer.example", asked);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.9"), 51820), OnlyPeer(c).Endpoint);
    }

    [Fact]
    public void WholeManPageScriptParsesLineByLine()
    {
        string[] script =
        [
            $"wg1 create wgport 7111 wgkey {Priv} rdomain 1",
            $"wg2 create wgport 7222 wgkey {TestKeys.Base64(0x12)} rdomain 2",
            $"wg1 wgpeer {Pub2} wgendpoint 127.0.0.1 7222 wgaip 192.168.5.2/32",
            $"wg2 wgpeer {Pub1} wgendpoint 127.0.0.1 7111 wgaip 192.168.5.1/32",
            "wg1 192.168.5.1/24",
            "wg2 192.168.5.2/24",
        ];
        foreach (string line in script)
        {
            string[] words = line.Split(' ');
            Assert.True(IfconfigParser.TryParse(words[0], words[1..], out var c, out var e), e?.FullMessage);
            Assert.Equal(words[0], c.InterfaceName);
        }
    }

    // ---- errors: one line naming the bad word, and no command ----

    private static IfconfigError Bad(params string[] args)
    {
        Assert.False(IfconfigParser.TryParse("wg1", args, out var command, out var error));
        Assert.Null(command);
        Assert.DoesNotContain('\n', error.FullMessage);
        Assert.StartsWith("wgsharp: ", error.FullMessage);
        return error;
    }

    [Theory]
    [InlineData("wgsharp: frobnicate: unknown option", "frobnicate")]
    [InlineData("wgsharp: wgport: 70000: out of range", "wgport", "70000")]
    [InlineData("wgsharp: wgport: 65536: out of range", "wgport", "65536")]
    [InlineData("wgsharp: wgport: -1: out of range", "wgport", "-1")]
    [InlineData("wgsharp: wgport: 99999999999999999999: out of range", "wgport", "99999999999999999999")]
    [InlineData("wgsharp: wgport: abc: not a number", "wgport", "abc")]
    [InlineData("wgsharp: wgport: +5: not a number", "wgport", "+5")]
    [InlineData("wgsharp: wgport: 0x10: not a number", "wgport", "0x10")]
    [InlineData("wgsharp: wgport: missing argument", "wgport")]
    [InlineData("wgsharp: wgkey: missing argument", "wgkey")]
    [InlineData("wgsharp: wgpeer: missing argument", "wgpeer")]
    [InlineData("wgsharp: -wgpeer: missing argument", "-wgpeer")]
    [InlineData("wgsharp: wgrtable: 256: out of range", "wgrtable", "256")]
    [InlineData("wgsharp: rdomain: 256: out of range", "rdomain", "256")]
    [InlineData("wgsharp: rdomain: missing argument", "rdomain")]
    [InlineData("wgsharp: mtu: 10: out of range", "mtu", "10")]
    [InlineData("wgsharp: mtu: 65536: out of range", "mtu", "65536")]
    [InlineData("wgsharp: mtu: missing argument", "mtu")]
    [InlineData("wgsharp: 300.1.1.1/24: bad address", "300.1.1.1/24")]
    [InlineData("wgsharp: 10.0.0.1/33: bad prefix length", "10.0.0.1/33")]
    [InlineData("wgsharp: fd00::1/64: not an inet address", "inet", "fd00::1/64")]
    [InlineData("wgsharp: 10.0.0.1/24: not an inet6 address", "inet6", "10.0.0.1/24")]
    [InlineData("wgsharp: netmask: 255.0.255.0: netmask is not contiguous", "10.0.0.1", "netmask", "255.0.255.0")]
    [InlineData("wgsharp: netmask: bogus: bad netmask", "10.0.0.1", "netmask", "bogus")]
    [InlineData("wgsharp: netmask: 255.255.255.0: not valid for inet6 addresses", "fd00::1", "netmask", "255.255.255.0")]
    [InlineData("wgsharp: netmask: no address to apply it to", "netmask", "255.255.255.0")]
    [InlineData("wgsharp: prefixlen: 33: out of range", "10.0.0.1", "prefixlen", "33")]
    [InlineData("wgsharp: broadcast: nope: bad address", "10.0.0.1", "broadcast", "nope")]
    [InlineData("wgsharp: delete: no address given", "delete")]
    public void InterfaceErrors(string message, params string[] args)
    {
        Assert.Equal(message, Bad(args).FullMessage);
    }

    [Theory]
    [InlineData("wgpsk", "KEY")]
    [InlineData("-wgpsk")]
    [InlineData("wgpka", "25")]
    [InlineData("-wgpka")]
    [InlineData("wgaip", "10.0.0.0/24")]
    [InlineData("-wgaip", "10.0.0.0/24")]
    [InlineData("wgendpoint", "127.0.0.1", "7222")]
    [InlineData("wgdescr", "x")]
    [InlineData("wgdescription", "x")]
    [InlineData("-wgdescr")]
    [InlineData("-wgdescription")]
    public void PeerOptionWithoutWgPeer(params string[] args)
    {
        if (args.Length > 1 && args[1] == "KEY") args[1] = Psk;
        var error = Bad(["wgport", "7111", .. args]);
        Assert.Equal($"wgsharp: {args[0]}: wgpeer not set", error.FullMessage);
        Assert.Equal(args[0], error.Word);
    }

    [Theory]
    [InlineData("wgpsk")]
    [InlineData("wgpka")]
    [InlineData("wgaip")]
    [InlineData("-wgaip")]
    [InlineData("wgdescr")]
    [InlineData("wgendpoint")]
    public void PeerOptionMissingArgument(string option)
    {
        Assert.Equal($"wgsharp: {option}: missing argument", Bad("wgpeer", Pub1, option).FullMessage);
    }

    [Fact]
    public void WgEndpointNeedsBothHostAndPort()
    {
        Assert.Equal("wgsharp: wgendpoint: missing argument", Bad("wgpeer", Pub1, "wgendpoint", "127.0.0.1").FullMessage);
    }

    [Theory]
    [InlineData("wgsharp: wgendpoint: 70000: out of range", "127.0.0.1", "70000")]
    [InlineData("wgsharp: wgendpoint: 0: out of range", "127.0.0.1", "0")]
    [InlineData("wgsharp: wgendpoint: http: not a number", "127.0.0.1", "http")]
    [InlineData("wgsharp: wgendpoint: peer.example: not a numeric IPv4 or IPv6 address", "peer.example", "51820")]
    [InlineData("wgsharp: wgendpoint: 127.1: not a numeric IPv4 or IPv6 address", "127.1", "51820")]
    [InlineData("wgsharp: wgendpoint: fe80::1%eth0: not a numeric IPv4 or IPv6 address", "fe80::1%eth0", "51820")]
    public void WgEndpointErrors(string message, string host, string port)
    {
        Assert.Equal(message, Bad("wgpeer", Pub1, "wgendpoint", host, port).FullMessage);
    }

    [Fact]
    public void WgEndpointUnresolvableName()
    {
        Assert.False(IfconfigParser.TryParse("wg1", ["wgpeer", Pub1, "wgendpoint", "nowhere.example", "1"],
            out _, out var error, _ => throw new System.Net.Sockets.SocketException()));
        Assert.Equal("wgsharp: wgendpoint: nowhere.example: no address associated with name", error.FullMessage);
    }

    [Theory]
    [InlineData("wgsharp: wgaip: 10.0.0.1/24: host bits set (network is 10.0.0.0/24)", "10.0.0.1/24")]
    [InlineData("wgsharp: wgaip: fd00::1/64: host bits set (network is fd00::/64)", "fd00::1/64")]
    [InlineData("wgsharp: wgaip: 10.0.0.0/33: bad prefix length", "10.0.0.0/33")]
    [InlineData("wgsharp: wgaip: fd00::/129: bad prefix length", "fd00::/129")]
    [InlineData("wgsharp: wgaip: 10.0.0.0/: bad prefix length", "10.0.0.0/")]
    [InlineData("wgsharp: wgaip: 10.0.0.0/x: bad prefix length", "10.0.0.0/x")]
    [InlineData("wgsharp: wgaip: 10.0.0/24: bad address", "10.0.0/24")]
    [InlineData("wgsharp: wgaip: example/24: bad address", "example/24")]
    public void WgAipErrors(string message, string prefix)
    {
        var error = Bad("wgpeer", Pub1, "wgaip", prefix);
        Assert.Equal(message, error.FullMessage);
        Assert.Equal(prefix, error.Word);
        Assert.Equal(message.Replace("wgsharp: wgaip:", "wgsharp: -wgaip:", StringComparison.Ordinal),
            Bad("wgpeer", Pub1, "-wgaip", prefix).FullMessage);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 31 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 34 bytes
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=")]
    public void SecretKeyErrorsNeverEchoTheKey(string key)
    {
        var wgkey = Bad("wgkey", key);
        Assert.Equal("wgsharp: wgkey: invalid key: must be 32 bytes, base64-encoded", wgkey.FullMessage);
        Assert.DoesNotContain(key, wgkey.FullMessage);
        var wgpsk = Bad("wgpeer", Pub1, "wgpsk", key);
        Assert.Equal("wgsharp: wgpsk: invalid key: must be 32 bytes, base64-encoded", wgpsk.FullMessage);
        Assert.DoesNotContain(key, wgpsk.FullMessage);
    }

    [Theory]
    [InlineData("wgpeer")]
    [InlineData("-wgpeer")]
    public void PublicKeyErrorsNameTheKey(string option)
    {
        var error = Bad(option, "notakey");
        Assert.Equal($"wgsharp: {option}: notakey: invalid key: must be 32 bytes, base64-encoded", error.FullMessage);
        Assert.Equal("notakey", error.Word);
    }

    [Fact]
    public void WgPkaRange()
    {
        Assert.Equal("wgsharp: wgpka: 43201: out of range", Bad("wgpeer", Pub1, "wgpka", "43201").FullMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("waytoolonginterfacename")]
    [InlineData("wg/1")]
    [InlineData("wg 1")]
    [InlineData("..")]
    public void BadInterfaceName(string name)
    {
        Assert.False(IfconfigParser.TryParse(name, ["up"], out var command, out var error));
        Assert.Null(command);
        // A long name could be a key typed in the wrong place (issue 21 finding 6): it is named, not echoed.
        Assert.Equal($"wgsharp: {(name.Length >= 12 ? "the interface name" : name)}: bad interface name", error.FullMessage);
    }

    [Fact]
    public void AnErrorAfterValidWordsYieldsNoCommand()
    {
        var error = Bad("create", "wgport", "7111", "wgkey", Priv, "wgpeer", Pub1, "wgaip", "10.0.0.1/24", "up");
        Assert.Equal("10.0.0.1/24", error.Word);
    }

    [Fact]
    public void ParseThrowsFormatExceptionWithTheOneLineMessage()
    {
        var e = Assert.Throws<FormatException>(() => IfconfigParser.Parse("wg1", ["wgport", "70000"]));
        Assert.Equal("wgsharp: wgport: 70000: out of range", e.Message);
        Assert.Equal((ushort)1, IfconfigParser.Parse("wg1", ["wgport", "1"]).Update.ListenPort);
    }

    [Fact]
    public void EmptyOrNullWordsAreRefusedNotThrown()
    {
        Assert.False(IfconfigParser.TryParse("wg1", [null!], out _, out var error));
        Assert.Equal("wgsharp: empty argument", error.FullMessage);
        Assert.Equal("wgsharp: empty argument", Bad("up", "").FullMessage);
    }
}
