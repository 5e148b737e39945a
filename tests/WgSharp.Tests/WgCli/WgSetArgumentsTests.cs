using System.Net;
using WgSharp.Cli.Wg;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

public sealed class WgSetArgumentsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsw-set-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string KeyFile(string content)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Builds_the_request_wg_sends()
    {
        string peer1 = WgCliTestKeys.Public(2).ToBase64(), peer2 = WgCliTestKeys.Public(3).ToBase64();
        var update = WgSetArguments.Parse([
            "listen-port", "51820", "fwmark", "0x2a", "private-key", KeyFile(WgCliTestKeys.Private(1).ToBase64() + "\n"),
            "peer", peer1, "preshared-key", KeyFile(WgCliTestKeys.Preshared(4).ToBase64()), "endpoint", "127.0.0.1:9",
            "persistent-keepalive", "off", "allowed-ips", " 10.0.0.0/8 , fd00::/8 ",
            "peer", peer2, "remove",
        ]);
        string expected =
            $"private_key={WgCliTestKeys.Private(1).ToHex()}\nlisten_port=51820\nfwmark=42\n" +
            $"public_key={WgCliTestKeys.Public(2).ToHex()}\npreshared_key={WgCliTestKeys.Preshared(4).ToHex()}\n" +
            "endpoint=127.0.0.1:9\npersistent_keepalive_interval=0\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/8\n" +
            $"public_key={WgCliTestKeys.Public(3).ToHex()}\nremove=true\n";
        Assert.Equal(expected, UapiSetFormatter.FormatBody(update));
    }

    [Fact]
    public void Empty_key_file_removes_and_empty_allowed_ips_clears()
    {
        var update = WgSetArguments.Parse(["private-key", "/dev/null", "peer", WgCliTestKeys.Public(2).ToBase64(),
            "preshared-key", KeyFile(""), "allowed-ips", ""]);
        Assert.Equal(Key.Zero, update.PrivateKey);
        Assert.Equal(Key.Zero, update.Peers[0].PresharedKey);
        Assert.True(update.Peers[0].ReplaceAllowedIps);
        Assert.Empty(update.Peers[0].AddAllowedIps);
    }

    [Fact]
    public void Ipv6_endpoint_and_hostname()
    {
        var update = WgSetArguments.Parse(["peer", WgCliTestKeys.Public(2).ToBase64(), "endpoint", "[::1]:7",
            "peer", WgCliTestKeys.Public(3).ToBase64(), "endpoint", "localhost:8"]);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7), update.Peers[0].Endpoint);
        Assert.True(IPAddress.IsLoopback(update.Peers[1].Endpoint!.Address));
        Assert.Equal(8, update.Peers[1].Endpoint!.Port);
    }

    [Theory]
    [InlineData("Invalid argument: bogus", "bogus")]
    [InlineData("Invalid argument: remove", "remove")]
    [InlineData("Invalid argument: listen-port", "peer", "PEER", "listen-port", "1")]
    [InlineData("Invalid argument: peer", "peer")]
    [InlineData("Unable to parse empty port", "listen-port", "")]
    [InlineData("Key is not the correct length or format: `nope'", "peer", "nope")]
    [InlineData("fopen: No such file or directory", "private-key", "/nonexistent/key")]
    public void Refuses_bad_arguments_like_wg(string message, params string[] args)
    {
        args = args.Select(a => a == "PEER" ? WgCliTestKeys.Public(2).ToBase64() : a).ToArray();
        var e = Assert.Throws<WgParseException>(() => WgSetArguments.Parse(args));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("short", "Invalid length key in key file")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= x", "Found trailing character in key file: `x'")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Found trailing character in key file: `A'")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Key is not the correct length or format")]
    public void Key_files_follow_wg_rules(string content, string message)
    {
        var e = Assert.Throws<WgParseException>(() => WgValueParser.ParseKeyFile(KeyFile(content)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Key_file_tolerates_trailing_whitespace() =>
        Assert.Equal(WgCliTestKeys.Private(1), WgValueParser.ParseKeyFile(KeyFile(WgCliTestKeys.Private(1).ToBase64() + " \n\t\n")));

    [Theory]
    [InlineData("0", 0u)]
    [InlineData("off", 0u)]
    [InlineData("OFF", 0u)]
    [InlineData("010", 10u)]
    [InlineData("0x10", 16u)]
    [InlineData("0xffffffff", 0xffffffffu)]
    [InlineData("4294967295", 0xffffffffu)]
    public void Fwmark_values(string text, uint expected) => Assert.Equal(expected, WgValueParser.ParseFwMark(text));

    [Theory]
    [InlineData("0X10")]
    [InlineData("x10")]
    [InlineData("-1")]
    [InlineData("0x1g")]
    [InlineData("")]
    public void Fwmark_refusals(string text) => Assert.Throws<WgParseException>(() => WgValueParser.ParseFwMark(text));

    [Fact]
    public void Ports_accept_udp_service_names() => Assert.Equal((ushort)53, WgValueParser.ParsePort("domain"));
}
