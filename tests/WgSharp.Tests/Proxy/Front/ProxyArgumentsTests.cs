using System.Net;
using WgSharp.Cli.Proxy;
using WgSharp.Cli.Proxy.Front;

namespace WgSharp.Tests.Proxy.Front;

public class ProxyArgumentsTests
{
    [Fact]
    public void ParsesEveryOption()
    {
        var args = ProxyArguments.Parse(["wg0.conf", "--socks5", "1080", "--http", "[::1]:8080", "--metrics", "9100", "--control", "/tmp/x/wgp.sock", "--pcap", "/tmp/t.pcap"], forward: false);
        Assert.Equal("wg0.conf", args.ConfPath);
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:1080")], args.Socks5);
        Assert.Equal([IPEndPoint.Parse("[::1]:8080")], args.Http);
        Assert.Equal("9100", args.Metrics);
        Assert.Equal("/tmp/x/wgp.sock", args.ControlPath);
        Assert.Equal("/tmp/t.pcap", args.PcapPath);
    }

    [Fact]
    public void ForwardTakesSpecsAfterTheConf()
    {
        var args = ProxyArguments.Parse(["wg0.conf", "tcp:8080:10.0.0.1:80", "--pcap", "p", "remote-udp:53:127.0.0.1:5353"], forward: true);
        Assert.Equal([ProxyServiceKind.TcpForward, ProxyServiceKind.RemoteUdpForward], args.Forwards.Select(f => f.Kind));
    }

    [Theory]
    [InlineData(false, "no CONF file given")]
    [InlineData(false, "--socks5 needs a value", "a.conf", "--socks5")]
    [InlineData(false, "--bogus: unknown option", "a.conf", "--bogus", "1")]
    [InlineData(false, "b.conf: unexpected argument (one CONF only)", "a.conf", "b.conf")]
    [InlineData(false, "--socks5 'x': 'x' is not a port (0-65535)", "a.conf", "--socks5", "x")]
    [InlineData(false, "--metrics given twice", "a.conf", "--metrics", "1", "--metrics", "2")]
    [InlineData(false, "--control /tmp/x: not DIR/NAME.sock with NAME an interface name (1-15 bytes, no '/' or spaces)", "a.conf", "--control", "/tmp/x")]
    [InlineData(false, "--control /tmp/a-name-far-too-long.sock: not DIR/NAME.sock with NAME an interface name (1-15 bytes, no '/' or spaces)", "a.conf", "--control", "/tmp/a-name-far-too-long.sock")]
    [InlineData(true, "SPEC 'tcp:1': not tcp|udp:[LADDR:]LPORT:RHOST:RPORT", "a.conf", "tcp:1")]
    public void RefusesBadCommandLines(bool forward, string message, params string[] args) =>
        Assert.Equal(message, Assert.Throws<ProxyConfigException>(() => ProxyArguments.Parse(args, forward)).Message);

    [Fact]
    public void CommandLineListenersReplaceTheFilesAndSpecsAddToThem()
    {
        var file = new ProxyConfig
        {
            WireGuard = new(),
            Addresses = [IPNetwork.Parse("10.0.0.2/32")],
            Services =
            [
                new(ProxyServiceKind.Socks5, IPEndPoint.Parse("127.0.0.1:1080")),
                new(ProxyServiceKind.Http, IPEndPoint.Parse("127.0.0.1:8080")),
                new(ProxyServiceKind.TcpForward, IPEndPoint.Parse("127.0.0.1:1"), "a", 1),
            ],
        };
        var args = ProxyArguments.Parse(["c", "--socks5", "1081", "tcp:2:b:2"], forward: true);
        Assert.Equal(
            [
                new(ProxyServiceKind.Http, IPEndPoint.Parse("127.0.0.1:8080")),
                new(ProxyServiceKind.TcpForward, IPEndPoint.Parse("127.0.0.1:1"), "a", 1),
                new(ProxyServiceKind.Socks5, IPEndPoint.Parse("127.0.0.1:1081")),
                new ProxyServiceSpec(ProxyServiceKind.TcpForward, IPEndPoint.Parse("127.0.0.1:2"), "b", 2),
            ], args.ApplyTo(file).Services);
    }

    [Fact]
    public void LoadRefusesARemoteForwardOnAnAddressNotOurs()
    {
        string conf = Path.GetTempFileName();
        try
        {
            File.WriteAllText(conf, $"[Interface]\nPrivateKey = {Convert.ToBase64String(new byte[32].Select(_ => (byte)7).ToArray())}\nAddress = 10.0.0.2/32\n");
            var ours = ProxyCommand.Load(ProxyArguments.Parse([conf, "remote-tcp:10.0.0.2:80:localhost:8080", "remote-udp:53:127.0.0.1:53"], forward: true));
            Assert.Equal(2, ours.Services.Count);
            string message = Assert.Throws<ProxyConfigException>(() => ProxyCommand.Load(ProxyArguments.Parse([conf, "remote-tcp:10.9.9.9:80:localhost:8080"], forward: true))).Message;
            Assert.Equal("remote-tcp 10.9.9.9:80 -> localhost:8080: 10.9.9.9 is not a tunnel address of this interface (Address = 10.0.0.2/32)", message);
            Assert.EndsWith(": nothing to serve (give --socks5, --http, a SPEC, or a [Socks5], [Http] or [Forward] section)",
                Assert.Throws<ProxyConfigException>(() => ProxyCommand.Load(ProxyArguments.Parse([conf], forward: false))).Message);
            // An IPv6-only tunnel: "every address" of a remote forward is every IPv6 one.
            File.WriteAllText(conf, $"[Interface]\nPrivateKey = {Convert.ToBase64String(new byte[32].Select(_ => (byte)7).ToArray())}\nAddress = fd00::2/128\n");
            var v6 = ProxyCommand.Load(ProxyArguments.Parse([conf, "remote-tcp:80:localhost:8080"], forward: true));
            Assert.Equal(IPAddress.IPv6Any, Assert.Single(v6.Services).Listen.Address);
        }
        finally { File.Delete(conf); }
    }
}
