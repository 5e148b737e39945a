using System.Net;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Front;

namespace WgSharp.Tests.Proxy.Front;

public class ProxyConfigParserTests
{
    private static readonly string PrivateKey = Convert.ToBase64String(Enumerable.Repeat((byte)0x41, 32).ToArray());
    private static readonly string PeerKey = Convert.ToBase64String(Enumerable.Repeat((byte)0x42, 32).ToArray());
    private static readonly string Psk = Convert.ToBase64String(Enumerable.Repeat((byte)0x43, 32).ToArray());

    private static string Interface(string extra = "") => $"""
        [Interface]
        PrivateKey = {PrivateKey}
        Address = 10.0.0.2/24, fd00::2/64
        {extra}
        """;

    private static string Peer => $"""
        [Peer]
        PublicKey = {PeerKey}
        PresharedKey = {Psk}
        Endpoint = 192.0.2.1:51820
        AllowedIPs = 10.0.0.0/24, fd00::/64
        PersistentKeepalive = 25
        """;

    [Fact]
    public void ReadsAWholeWgQuickFileWithTheProxySections()
    {
        var config = ProxyConfigParser.Parse(Interface("DNS = 10.0.0.1, fd00::1, corp.example\nMTU = 1380\nListenPort = 51000") + "\n" + Peer + """

            [Socks5]
            Listen = 1080
            [Http]
            Listen = [::1]:8080   # a comment
            [Proxy]
            Username = alice
            Password = s3cret word
            [Forward]
            tcp = 5432:db.internal:5432
            remote-udp = 53:127.0.0.1:5353
            """, "wg0.conf");

        Assert.Equal([IPNetwork.Parse("10.0.0.2/32"), IPNetwork.Parse("fd00::2/128")], config.Addresses);
        Assert.Equal([IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")], config.DnsServers);
        Assert.Equal(1380, config.Mtu);
        Assert.Equal(51000, config.WireGuard.ListenPort);
        Assert.Equal(PrivateKey, config.WireGuard.PrivateKey!.Value.ToBase64());
        var peer = Assert.Single(config.WireGuard.Peers);
        Assert.Equal(PeerKey, peer.PublicKey.ToBase64());
        Assert.Equal(Psk, peer.PresharedKey!.Value.ToBase64());
        Assert.Equal(IPEndPoint.Parse("192.0.2.1:51820"), peer.Endpoint);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/24"), IPNetwork.Parse("fd00::/64")], peer.AllowedIPs);
        Assert.Equal(TimeSpan.FromSeconds(25), peer.PersistentKeepalive);
        Assert.Equal(new ProxyCredentials("alice", "s3cret word"), config.Credentials);
        Assert.Equal(
            [
                new ProxyServiceSpec(ProxyServiceKind.Socks5, IPEndPoint.Parse("127.0.0.1:1080")),
                new ProxyServiceSpec(ProxyServiceKind.Http, IPEndPoint.Parse("[::1]:8080")),
                new ProxyServiceSpec(ProxyServiceKind.TcpForward, IPEndPoint.Parse("127.0.0.1:5432"), "db.internal", 5432),
                new ProxyServiceSpec(ProxyServiceKind.RemoteUdpForward, IPEndPoint.Parse("0.0.0.0:53"), "127.0.0.1", 5353),
            ], config.Services);
        Assert.Equal(["DNS search domains"], config.Ignored);
    }

    [Fact]
    public void RootOnlyKeysAreCollectedOnceAndIgnored()
    {
        var config = ProxyConfigParser.Parse(Interface("""
            PostUp = iptables -A FORWARD -i %i -j ACCEPT
            PostUp = echo again
            PreDown = true
            Table = off
            FwMark = 0x1234
            SaveConfig = true
            """), "wg0.conf");
        Assert.Equal(["PostUp", "PreDown", "Table", "FwMark", "SaveConfig"], config.Ignored);
        Assert.Equal(0u, config.WireGuard.FwMark);
        Assert.Null(config.Credentials);
        Assert.Equal(1420, config.Mtu);
    }

    [Fact]
    public void APasswordFileGivesThePassword()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from file\n");
            var config = ProxyConfigParser.Parse(Interface() + $"\n[Proxy]\nUsername = bob\nPasswordFile = {file}\n", "p.conf");
            Assert.Equal(new ProxyCredentials("bob", "from file"), config.Credentials);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("Address = 10.0.0.2/32\nPrivateKey = x", "c.conf:3: Key is not the correct length or format")]
    [InlineData("Address = 10.0.0.300", "c.conf:2: Address 10.0.0.300: bad address '10.0.0.300'")]
    [InlineData("MTU = 100", "c.conf:2: MTU 100: not a number from 576 to 65535")]
    [InlineData("MTU = big", "c.conf:2: MTU big: not a number from 576 to 65535")]
    [InlineData("Foo = bar", "c.conf:2: Line unrecognized: `Foo=bar'")]
    [InlineData("ListenPort = 99999", "c.conf:2: ")]
    [InlineData("Address =", "c.conf:2: Address has no value")]
    [InlineData("just words", "c.conf:2: 'just words' is not KEY = VALUE")]
    public void InterfaceErrorsNameTheLine(string line, string messageStart)
    {
        string text = "[Interface]\n" + line + "\n";
        var e = Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(text, "c.conf"));
        Assert.StartsWith(messageStart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("Address = 10.0.0.2/32\n", "[Bogus]", "c.conf:5: unknown section [Bogus]")]
    [InlineData("", "[Socks5]\nPort = 1080", "c.conf:5: unknown key Port in [Socks5] (Listen = [ADDR:]PORT)")]
    [InlineData("", "[Http]\nListen = nowhere:80", "c.conf:5: 'nowhere:80': 'nowhere' is not an IP address")]
    [InlineData("", "[Proxy]\nUser = x", "c.conf:5: unknown key User in [Proxy] (Username, Password, PasswordFile, MaxClients, HandshakeTimeout, ConnectTimeout, MaxUdpFlows, UdpIdleTimeout)")]
    [InlineData("", "[Proxy]\nMaxClients = 0", "c.conf:5: MaxClients 0: not a number from 1 to 65536")]
    [InlineData("", "[Proxy]\nMaxClients = 100000", "c.conf:5: MaxClients 100000: not a number from 1 to 65536")]
    [InlineData("", "[Proxy]\nMaxClients = -1", "c.conf:5: MaxClients -1: not a number from 1 to 65536")]
    [InlineData("", "[Proxy]\nHandshakeTimeout = 2s", "c.conf:5: HandshakeTimeout 2s: not a number from 1 to 3600")]
    [InlineData("", "[Proxy]\nConnectTimeout = 3601", "c.conf:5: ConnectTimeout 3601: not a number from 1 to 3600")]
    [InlineData("", "[Proxy]\nMaxUdpFlows = lots", "c.conf:5: MaxUdpFlows lots: not a number from 1 to 65536")]
    [InlineData("", "[Proxy]\nUdpIdleTimeout = 0", "c.conf:5: UdpIdleTimeout 0: not a number from 1 to 3600")]
    [InlineData("", "[Forward]\nsctp = 1:2.2.2.2:3", "c.conf:5: unknown key sctp in [Forward] (tcp, udp, remote-tcp, remote-udp)")]
    [InlineData("", "[Forward]\ntcp = 8080:a", "c.conf:5: 'tcp:8080:a': not tcp|udp:[LADDR:]LPORT:RHOST:RPORT")]
    [InlineData("", "[Proxy]\nPasswordFile = /nonexistent/pw", "c.conf:5: PasswordFile Could not find")]
    [InlineData("", "[Peer]\nEndpoint = 192.0.2.1:1", "c.conf: A peer is missing a public key")]
    [InlineData("", "[Peer]\nPublicKey = nope", "c.conf:5: Key is not the correct length or format: `nope'")]
    [InlineData("", "[Peer]\nName = x", "c.conf:5: Line unrecognized: `Name=x'")]
    [InlineData("", "[Proxy]\nUsername = a", "c.conf: [Proxy] needs both Username and a Password (or PasswordFile)")]
    public void SectionErrorsNameTheLine(string extraInterface, string section, string messageStart)
    {
        string text = $"[Interface]\nPrivateKey = {PrivateKey}\nAddress = 10.0.0.2/32\n{extraInterface}{section}\n";
        var e = Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(text, "c.conf"));
        Assert.StartsWith(messageStart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void FileLevelErrors()
    {
        Assert.Equal("c.conf: [Interface] has no PrivateKey",
            Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse("[Interface]\nAddress = 10.0.0.2/32\n", "c.conf")).Message);
        Assert.Equal("c.conf: [Interface] has no Address (the tunnel address this proxy uses)",
            Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse($"[Interface]\nPrivateKey = {PrivateKey}\n", "c.conf")).Message);
        Assert.Equal("c.conf:1: Address is outside any section",
            Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse("Address = 10.0.0.2/32\n", "c.conf")).Message);
        Assert.StartsWith($"c.conf: peer {PeerKey} is listed twice",
            Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(Interface() + "\n" + Peer + "\n" + Peer, "c.conf")).Message);
        Assert.Equal("c.conf:6: Username is longer than 255 bytes",
            Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(Interface() + "\n[Proxy]\nUsername = " + new string('u', 256), "c.conf")).Message);
    }

    [Fact]
    public void ASecretIsNeverQuotedInAnError()
    {
        // A private key in [Peer] is not a peer key: wg's parser masks it; ours must not add it back.
        string text = Interface() + $"\n[Peer]\nPrivateKey = {PrivateKey}\n";
        string message = Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(text, "c.conf")).Message;
        Assert.DoesNotContain(PrivateKey, message);
        Assert.DoesNotContain(PrivateKey[..20], message);
        string badPsk = Interface() + $"\n[Peer]\nPublicKey = {PeerKey}\nPresharedKey = {PrivateKey[..40]}\n";
        Assert.DoesNotContain(PrivateKey[..40], Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(badPsk, "c.conf")).Message);
        string longPassword = Interface() + "\n[Proxy]\nUsername = a\nPassword = " + new string('p', 300);
        Assert.DoesNotContain("ppp", Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Parse(longPassword, "c.conf")).Message);
    }

    [Fact]
    public void LoadNamesAnUnreadableFile()
    {
        string message = Assert.Throws<ProxyConfigException>(() => ProxyConfigParser.Load("/nonexistent/wg0.conf")).Message;
        Assert.StartsWith("/nonexistent/wg0.conf: ", message);
    }

    [Fact]
    public void ProxyLimitsAreReadFromTheFileAndDefaultWhenAbsent()
    {
        Assert.Equal(new ProxyLimits(), ProxyConfigParser.Parse(Interface(), "c.conf").Limits);
        var config = ProxyConfigParser.Parse(Interface() + """

            [Proxy]
            MaxClients = 200
            HandshakeTimeout = 3
            ConnectTimeout = 20
            maxudpflows = 64     # names are case-insensitive
            UdpIdleTimeout = 120
            """, "c.conf");
        Assert.Equal(new ProxyLimits
        {
            MaxClients = 200,
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(20),
            MaxUdpFlows = 64,
            UdpFlowIdle = TimeSpan.FromSeconds(120),
        }, config.Limits);
        Assert.Null(config.Credentials); // limits alone ask for no credentials
    }

    [Fact]
    public void NeedRestartNamesWhatAReloadCannotApply()
    {
        var before = ProxyConfigParser.Parse(Interface() + "\n[Socks5]\nListen = 1080\n", "c.conf");
        Assert.Empty(before.NeedRestart(ProxyConfigParser.Parse(Interface() + "\n" + Peer + "\n[Socks5]\nListen = 1080\n", "c.conf")));
        var after = ProxyConfigParser.Parse(Interface("MTU = 1300\nDNS = 10.0.0.1").Replace("10.0.0.2/24", "10.0.0.3/24") + "\n[Socks5]\nListen = 1081\n[Proxy]\nUsername=a\nPassword=b", "c.conf");
        Assert.Equal(["Address", "DNS", "MTU", "listeners and forwards", "proxy credentials"], before.NeedRestart(after));
        var limited = ProxyConfigParser.Parse(Interface() + "\n[Socks5]\nListen = 1080\n[Proxy]\nMaxClients = 10\n", "c.conf");
        Assert.Equal(["limits"], before.NeedRestart(limited));
    }
}
