using System.Net;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.Uapi;

public class UapiSetParserTests
{
    internal static readonly string HexA = new('a', 64);
    internal static readonly string HexB = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef";
    private static readonly string Zero = new('0', 64);

    private static DeviceUpdate ParseOk(string body)
    {
        var result = UapiSetParser.Parse(body, out var update);
        Assert.True(result.IsOk, $"expected success, got errno {result.Errno}: {result.Message}");
        Assert.NotNull(update);
        return update!;
    }

    private static ConfigResult ParseFail(string body)
    {
        var result = UapiSetParser.Parse(body, out var update);
        Assert.False(result.IsOk, "expected a failure");
        Assert.Null(update);
        return result;
    }

    [Fact]
    public void EmptyBodyIsAnEmptyUpdate() => Assert.True(ParseOk("").IsEmpty);

    [Fact]
    public void DeviceKeys()
    {
        var u = ParseOk($"private_key={HexA}\nlisten_port=51820\nfwmark=4294967295\nreplace_peers=true\n\n");
        Assert.Equal(HexA, u.PrivateKey!.Value.ToHex());
        Assert.Equal((ushort)51820, u.ListenPort);
        Assert.Equal(uint.MaxValue, u.FwMark);
        Assert.True(u.ReplacePeers);
        Assert.Empty(u.Peers);
    }

    [Fact]
    public void ZeroPrivateKeyMeansRemoval()
    {
        var u = ParseOk($"private_key={Zero}\n");
        Assert.True(u.PrivateKey!.Value.IsZero);
    }

    [Fact]
    public void ZeroFwMarkAndPortAreValues()
    {
        var u = ParseOk("fwmark=0\nlisten_port=0\n");
        Assert.Equal(0u, u.FwMark);
        Assert.Equal((ushort)0, u.ListenPort);
    }

    [Fact]
    public void UppercaseHexIsAccepted() // Go's hex.DecodeString accepts both cases
    {
        var u = ParseOk($"public_key={HexB}\n");
        Assert.Equal(HexB.ToLowerInvariant(), u.Peers[0].PublicKey.ToHex());
    }

    [Fact]
    public void PeerKeys()
    {
        var u = ParseOk(
            $"public_key={HexA}\nupdate_only=true\npreshared_key={HexB}\nendpoint=192.0.2.1:51820\n" +
            "persistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\n" +
            "protocol_version=1\n");
        var p = Assert.Single(u.Peers);
        Assert.Equal(HexA, p.PublicKey.ToHex());
        Assert.True(p.UpdateOnly);
        Assert.False(p.Remove);
        Assert.Equal(HexB.ToLowerInvariant(), p.PresharedKey!.Value.ToHex());
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 51820), p.Endpoint);
        Assert.Equal((ushort)25, p.PersistentKeepalive);
        Assert.True(p.ReplaceAllowedIps);
        Assert.Equal(["10.0.0.0/24", "fd00::/64"], p.AddAllowedIps.Select(a => a.ToString()));
        Assert.Equal(1, p.ProtocolVersion);
    }

    [Fact]
    public void ZeroPresharedKeyIsAcceptedAsRemoval()
    {
        var u = ParseOk($"public_key={HexA}\npreshared_key={Zero}\n");
        Assert.True(u.Peers[0].PresharedKey!.Value.IsZero);
    }

    [Fact]
    public void SeveralPeersKeepTheirOrder()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.0.0.1/32\npublic_key={HexB}\nallowed_ip=10.0.0.2/32\n");
        Assert.Equal(2, u.Peers.Count);
        Assert.Equal(HexA, u.Peers[0].PublicKey.ToHex());
        Assert.Equal("10.0.0.2/32", u.Peers[1].AddAllowedIps.Single().ToString());
    }

    [Fact]
    public void Ipv6EndpointNeedsBrackets()
    {
        var u = ParseOk($"public_key={HexA}\nendpoint=[fd00::1]:51820\n");
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::1"), 51820), u.Peers[0].Endpoint);
        Assert.Equal(Errno.EINVAL, ParseFail($"public_key={HexA}\nendpoint=fd00::1:51820\n").Errno);
    }

    [Theory]
    [InlineData("example.com:51820")] // no name resolution in the UAPI
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2.1:")]
    [InlineData("192.0.2.1:65536")]
    [InlineData("192.0.2.1:-1")]
    [InlineData("192.0.2.1:+5")]
    [InlineData("192.0.2:51820")]
    [InlineData("192.0.2.256:51820")]
    [InlineData("192.0.2.01:51820")]
    [InlineData("[192.0.2.1]:51820")]
    [InlineData("[fd00::1]51820")]
    [InlineData("[fd00::1:51820")]
    [InlineData(" 192.0.2.1:51820")]
    [InlineData("")]
    public void BadEndpointsAreInvalid(string endpoint) =>
        Assert.Equal(Errno.EINVAL, ParseFail($"public_key={HexA}\nendpoint={endpoint}\n").Errno);

    [Theory]
    [InlineData("private_key=abc")]
    [InlineData("private_key=")]
    [InlineData("private_key=zzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("private_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("public_key=aaaa")]
    [InlineData("listen_port=65536")]
    [InlineData("listen_port=-1")]
    [InlineData("listen_port= 1")]
    [InlineData("listen_port=0x10")]
    [InlineData("listen_port=")]
    [InlineData("fwmark=4294967296")]
    [InlineData("fwmark=1_000")]
    [InlineData("replace_peers=false")]
    [InlineData("replace_peers=TRUE")]
    [InlineData("replace_peers=1")]
    [InlineData("rtable=256")]
    [InlineData("debug=yes")]
    [InlineData("remove_all_peers=false")]
    public void BadDeviceValuesAreInvalid(string line) =>
        Assert.Equal(Errno.EINVAL, ParseFail(line + "\n").Errno);

    [Theory]
    [InlineData("preshared_key=1234")]
    [InlineData("persistent_keepalive_interval=65536")]
    [InlineData("persistent_keepalive_interval=x")]
    [InlineData("remove=false")]
    [InlineData("update_only=yes")]
    [InlineData("replace_allowed_ips=false")]
    [InlineData("protocol_version=2")]
    [InlineData("protocol_version=01")]
    [InlineData("allowed_ip=10.0.0.0")] // the length is mandatory in netip.ParsePrefix
    [InlineData("allowed_ip=10.0.0.0/33")]
    [InlineData("allowed_ip=10.0.0.0/024")]
    [InlineData("allowed_ip=10.0.0.0/+24")]
    [InlineData("allowed_ip=10.0.0.0/")]
    [InlineData("allowed_ip=fd00::/129")]
    [InlineData("allowed_ip=fe80::%1/64")]
    [InlineData("allowed_ip=10.0.0/24")]
    [InlineData("allowed_ip=10.0.0.0/24 ")]
    [InlineData("remove_allowed_ip=nonsense")]
    [InlineData("description=bell\a")]
    public void BadPeerValuesAreInvalid(string line) =>
        Assert.Equal(Errno.EINVAL, ParseFail($"public_key={HexA}\n{line}\n").Errno);

    [Theory]
    [InlineData("bogus=1")]
    [InlineData("=1")]
    [InlineData("Private_key=" + "00")]
    [InlineData("endpoint=192.0.2.1:1")] // a peer key before any public_key
    [InlineData("allowed_ip=10.0.0.0/8")]
    [InlineData("protocol_version=1")]
    [InlineData("description=x")]
    public void UnknownOrMisplacedDeviceKeysAreInvalid(string line) =>
        Assert.Equal(Errno.EINVAL, ParseFail(line + "\n").Errno);

    [Theory]
    [InlineData("listen_port=1")] // device keys after the first public_key
    [InlineData("private_key=" + "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("fwmark=1")]
    [InlineData("replace_peers=true")]
    [InlineData("rtable=1")]
    [InlineData("debug=true")]
    [InlineData("remove_all_peers=true")]
    [InlineData("last_handshake_time_sec=0")] // get-only keys are not settable
    [InlineData("tx_bytes=0")]
    public void DeviceKeysInAPeerSectionAreInvalid(string line) =>
        Assert.Equal(Errno.EINVAL, ParseFail($"public_key={HexA}\n{line}\n").Errno);

    [Theory]
    [InlineData("listen_port")]
    [InlineData("garbage")]
    [InlineData(" ")]
    public void LineWithoutEqualsIsProtocolError(string line) =>
        Assert.Equal(Errno.EPROTO, ParseFail($"listen_port=1\n{line}\n").Errno);

    [Fact]
    public void FirstErrorWinsAndLaterLinesAreIgnored()
    {
        var parser = new UapiSetParser();
        Assert.True(parser.ParseLine("listen_port=1"));
        Assert.False(parser.ParseLine("nonsense"));
        Assert.False(parser.ParseLine("bogus=1"));
        var result = parser.Finish(out var update);
        Assert.Equal(Errno.EPROTO, result.Errno);
        Assert.Null(update);
    }

    [Fact]
    public void ErrorMessagesNeverContainKeys()
    {
        string secret = "ab" + new string('c', 61); // 63 digits: invalid
        var result = ParseFail($"private_key={secret}\n");
        Assert.DoesNotContain("ccccc", result.Message);
    }

    [Fact]
    public void ValueMayContainEquals()
    {
        var u = ParseOk($"public_key={HexA}\ndescription=a=b\n");
        Assert.Equal("a=b", u.Peers[0].Description);
    }

    [Fact]
    public void CarriageReturnBeforeNewlineIsDropped() // Go's bufio.ScanLines does this
    {
        var u = ParseOk("listen_port=7\r\nfwmark=3\r\n\r\nlisten_port=9\n");
        Assert.Equal((ushort)7, u.ListenPort);
        Assert.Equal(3u, u.FwMark);
    }

    [Fact]
    public void ParsingStopsAtTheBlankLine()
    {
        var u = ParseOk("listen_port=7\n\nthis is not parsed\n");
        Assert.Equal((ushort)7, u.ListenPort);
    }

    [Fact]
    public void AllowedIpsAreMasked()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.1.2.3/8\nallowed_ip=fd00::1234/16\nallowed_ip=192.0.2.7/32\nallowed_ip=0.0.0.0/0\n");
        Assert.Equal(["10.0.0.0/8", "fd00::/16", "192.0.2.7/32", "0.0.0.0/0"], u.Peers[0].AddAllowedIps.Select(a => a.ToString()));
    }

    [Fact]
    public void ReplaceAllowedIpsDropsPrefixesAddedEarlierInTheSection()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.0.0.0/8\nreplace_allowed_ips=true\nallowed_ip=10.9.0.0/16\n");
        var p = u.Peers[0];
        Assert.True(p.ReplaceAllowedIps);
        Assert.Equal(["10.9.0.0/16"], p.AddAllowedIps.Select(a => a.ToString()));
    }

    [Fact]
    public void DuplicateAllowedIpsCollapse()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.0.0.1/8\nallowed_ip=10.0.0.0/8\n");
        Assert.Single(u.Peers[0].AddAllowedIps);
    }

    [Fact]
    public void RemoveAndAddAllowedIpFollowLineOrder()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.0.0.0/8\nremove_allowed_ip=10.0.0.0/8\nremove_allowed_ip=fd00::/8\nallowed_ip=fd00::/8\n");
        var p = u.Peers[0];
        Assert.Equal(["10.0.0.0/8"], p.RemoveAllowedIps.Select(a => a.ToString()));
        Assert.Equal(["fd00::/8"], p.AddAllowedIps.Select(a => a.ToString()));
    }

    [Fact]
    public void RemoveDiscardsTheRestOfThePeerSectionButStillValidatesIt()
    {
        var u = ParseOk($"public_key={HexA}\nallowed_ip=10.0.0.0/8\nremove=true\nallowed_ip=10.1.0.0/16\nendpoint=192.0.2.1:1\npublic_key={HexB}\nallowed_ip=10.2.0.0/16\n");
        Assert.Equal(2, u.Peers.Count);
        var removed = u.Peers[0];
        Assert.True(removed.Remove);
        Assert.Empty(removed.AddAllowedIps);
        Assert.Null(removed.Endpoint);
        Assert.Equal("10.2.0.0/16", u.Peers[1].AddAllowedIps.Single().ToString());

        Assert.Equal(Errno.EINVAL, ParseFail($"public_key={HexA}\nremove=true\nendpoint=bad\n").Errno);
    }

    [Fact]
    public void SamePeerTwiceGivesTwoChangesInOrder() // e.g. remove and then re-create
    {
        var u = ParseOk($"public_key={HexA}\nremove=true\npublic_key={HexA}\nallowed_ip=10.0.0.0/8\n");
        Assert.Equal(2, u.Peers.Count);
        Assert.True(u.Peers[0].Remove);
        Assert.False(u.Peers[1].Remove);
        Assert.Single(u.Peers[1].AddAllowedIps);
    }

    [Fact]
    public void ExtensionKeys()
    {
        var u = ParseOk($"remove_all_peers=true\ndebug=true\nrtable=7\npublic_key={HexA}\ndescription=office router\nremove_allowed_ip=10.0.0.5/8\n");
        Assert.True(u.RemoveAllPeers);
        Assert.True(u.Debug);
        Assert.Equal(7, u.RTable);
        Assert.Equal("office router", u.Peers[0].Description);
        Assert.Equal("10.0.0.0/8", u.Peers[0].RemoveAllowedIps.Single().ToString());
        Assert.False(ParseOk("debug=false\n").Debug);
        Assert.Equal("", ParseOk($"public_key={HexA}\ndescription=\n").Peers[0].Description);
    }

    [Fact]
    public void RejectMarksTheRequestFailed()
    {
        var parser = new UapiSetParser();
        parser.ParseLine("listen_port=1");
        parser.Reject(ConfigResult.Fail(Errno.EINVAL, "not utf-8"));
        Assert.False(parser.ParseLine("fwmark=1"));
        Assert.Equal(Errno.EINVAL, parser.Finish(out _).Errno);
    }
}
