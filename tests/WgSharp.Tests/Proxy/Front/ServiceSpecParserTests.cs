using System.Net;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Front;

namespace WgSharp.Tests.Proxy.Front;

public class ServiceSpecParserTests
{
    [Theory]
    [InlineData("1080", "127.0.0.1:1080")]
    [InlineData("0", "127.0.0.1:0")]
    [InlineData("0.0.0.0:1080", "0.0.0.0:1080")]
    [InlineData("192.168.1.2:8080", "192.168.1.2:8080")]
    [InlineData("[::1]:1080", "[::1]:1080")]
    [InlineData("[::]:9", "[::]:9")]
    public void ParsesListenAddresses(string text, string expected) =>
        Assert.Equal(IPEndPoint.Parse(expected), ServiceSpecParser.ParseListen(text));

    [Theory]
    [InlineData("", "'': '' is not a port (0-65535)")]
    [InlineData("65536", "'65536': '65536' is not a port (0-65535)")]
    [InlineData("-1", "'-1': '-1' is not a port (0-65535)")]
    [InlineData("localhost:1080", "'localhost:1080': 'localhost' is not an IP address")]
    [InlineData("::1:1080", "'::1:1080': not [ADDR:]PORT (IPv6 addresses go in brackets)")]
    [InlineData("[::1:1080", "'[::1:1080': an unclosed '['")]
    [InlineData("1.2.3:80", "'1.2.3:80': '1.2.3' is not an IP address")]
    [InlineData("fe80::1%eth0:80", "'fe80::1%eth0:80': not [ADDR:]PORT (IPv6 addresses go in brackets)")]
    public void RefusesBadListenAddresses(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ProxyConfigException>(() => ServiceSpecParser.ParseListen(text)).Message);

    [Theory]
    [InlineData("tcp:8080:10.0.0.1:80", "TcpForward", "127.0.0.1:8080", "10.0.0.1", 80)]
    [InlineData("tcp:0.0.0.0:8080:db.internal:5432", "TcpForward", "0.0.0.0:8080", "db.internal", 5432)]
    [InlineData("udp:[::1]:5353:[fd00::1]:53", "UdpForward", "[::1]:5353", "fd00::1", 53)]
    [InlineData("udp:0:10.0.0.1:53", "UdpForward", "127.0.0.1:0", "10.0.0.1", 53)]
    [InlineData("remote-tcp:2222:localhost:22", "RemoteTcpForward", "0.0.0.0:2222", "localhost", 22)]
    [InlineData("remote-tcp:10.0.0.2:2222:127.0.0.1:22", "RemoteTcpForward", "10.0.0.2:2222", "127.0.0.1", 22)]
    [InlineData("remote-udp:[fd00::2]:53:[::1]:5353", "RemoteUdpForward", "[fd00::2]:53", "::1", 5353)]
    public void ParsesForwards(string text, string kind, string listen, string host, int port)
    {
        var spec = ServiceSpecParser.ParseForward(text);
        Assert.Equal(new ProxyServiceSpec(Enum.Parse<ProxyServiceKind>(kind), IPEndPoint.Parse(listen), host, port), spec);
    }

    [Theory]
    [InlineData("sctp:1:2.2.2.2:3", "'sctp:1:2.2.2.2:3': not tcp:, udp:, remote-tcp: or remote-udp:")]
    [InlineData("8080:10.0.0.1:80", "'8080:10.0.0.1:80': not tcp:, udp:, remote-tcp: or remote-udp:")]
    [InlineData("tcp", "'tcp': not tcp:, udp:, remote-tcp: or remote-udp:")]
    [InlineData("tcp:8080:10.0.0.1", "'tcp:8080:10.0.0.1': not tcp|udp:[LADDR:]LPORT:RHOST:RPORT")]
    [InlineData("tcp:1:2:3:4:5", "'tcp:1:2:3:4:5': not tcp|udp:[LADDR:]LPORT:RHOST:RPORT")]
    [InlineData("remote-udp:53:localhost", "'remote-udp:53:localhost': not remote-tcp|remote-udp:[TADDR:]TPORT:LHOST:LPORT")]
    [InlineData("tcp:8080:fd00::1:80", "'tcp:8080:fd00::1:80': not tcp|udp:[LADDR:]LPORT:RHOST:RPORT")]
    [InlineData("tcp:[::1:8080:a:80", "'tcp:[::1:8080:a:80': an unclosed '['")]
    [InlineData("tcp:host:8080:a:80", "'tcp:host:8080:a:80': 'host' is not an IP address")]
    [InlineData("tcp:70000:a:80", "'tcp:70000:a:80': '70000' is not a port (0-65535)")]
    [InlineData("tcp:8080:a:0", "'tcp:8080:a:0': '0' is not a port (1-65535)")]
    [InlineData("tcp:8080:a:http", "'tcp:8080:a:http': 'http' is not a port (1-65535)")]
    [InlineData("remote-tcp:0:localhost:22", "'remote-tcp:0:localhost:22': '0' is not a port (1-65535)")]
    [InlineData("tcp:8080:bad_host!:80", "'tcp:8080:bad_host!:80': 'bad_host!' is neither an IP address nor a host name")]
    [InlineData("tcp:8080::80", "'tcp:8080::80': '' is neither an IP address nor a host name")]
    [InlineData("tcp:8080:-a.b:80", "'tcp:8080:-a.b:80': '-a.b' is neither an IP address nor a host name")]
    [InlineData("remote-tcp:2222:example.com:22", "'remote-tcp:2222:example.com:22': 'example.com' is not an IP address or localhost")]
    public void RefusesBadForwards(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ProxyConfigException>(() => ServiceSpecParser.ParseForward(text)).Message);

    [Fact]
    public void AHugeSpecIsQuotedShortened()
    {
        string text = "tcp:8080:" + new string('a', 300) + ":80";
        string message = Assert.Throws<ProxyConfigException>(() => ServiceSpecParser.ParseForward(text)).Message;
        Assert.StartsWith("'tcp:8080:aaa", message);
        Assert.True(message.Length < 250, message);
    }

    [Fact]
    public void SpecsNameThemselvesForLogsAndMetrics()
    {
        Assert.Equal("tcp 127.0.0.1:8080 -> db:5432", ServiceSpecParser.ParseForward("tcp:8080:db:5432").ToString());
        Assert.Equal("udp [::1]:53 -> [fd00::1]:53", ServiceSpecParser.ParseForward("udp:[::1]:53:[fd00::1]:53").ToString());
    }
}
