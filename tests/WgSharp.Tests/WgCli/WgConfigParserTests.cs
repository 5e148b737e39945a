using System.Net;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

public class WgConfigParserTests
{
    private static readonly string PrivateB64 = WgCliTestKeys.Private(1).ToBase64();
    private static readonly string Peer1 = WgCliTestKeys.Public(2).ToBase64();
    private static readonly string Peer2 = WgCliTestKeys.Public(3).ToBase64();
    private static readonly string Psk = WgCliTestKeys.Preshared(4).ToBase64();

    private static WgParseException Fails(string text, bool append = false) =>
        Assert.Throws<WgParseException>(() => WgConfigParser.Parse(text, append));

    [Fact]
    public void Parses_a_full_file_with_comments_case_and_repeated_allowed_ips()
    {
        string text = $"""
            # leading comment
            [Interface]
            PrivateKey = {PrivateB64}   # trailing comment
            listenport = 51820
            FwMark = 0x10

            [PEER]
            PublicKey = {Peer1}
            PresharedKey = {Psk}
            AllowedIPs = 10.0.0.0/24, fd00::1/64
            AllowedIPs = 192.0.2.7
            Endpoint = [2001:db8::1]:51821
            PersistentKeepalive = 25
            [Peer]
            Public Key = {Peer2}
            Endpoint=192.0.2.1:1
            """;
        var update = WgConfigParser.Parse(text, append: false);

        Assert.True(update.ReplacePeers);
        Assert.Equal(WgCliTestKeys.Private(1), update.PrivateKey);
        Assert.Equal((ushort)51820, update.ListenPort);
        Assert.Equal(0x10u, update.FwMark);
        Assert.Equal(2, update.Peers.Count);
        var p1 = update.Peers[0];
        Assert.Equal(WgCliTestKeys.Public(2), p1.PublicKey);
        Assert.Equal(WgCliTestKeys.Preshared(4), p1.PresharedKey);
        Assert.True(p1.ReplaceAllowedIps);
        Assert.Equal(["10.0.0.0/24", "fd00::1/64", "192.0.2.7/32"], p1.AddAllowedIps.Select(UapiAddressText.FormatPrefix));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 51821), p1.Endpoint);
        Assert.Equal((ushort)25, p1.PersistentKeepalive);
        var p2 = update.Peers[1];
        Assert.Equal(WgCliTestKeys.Public(3), p2.PublicKey);
        Assert.True(p2.ReplaceAllowedIps);
        Assert.Empty(p2.AddAllowedIps);
        Assert.Null(p2.PersistentKeepalive);
        Assert.Null(p2.PresharedKey);
    }

    [Fact]
    public void Setconf_resets_what_the_file_leaves_out_and_addconf_does_not()
    {
        var set = WgConfigParser.Parse("[Interface]\n", append: false);
        Assert.True(set.ReplacePeers);
        Assert.Equal(Key.Zero, set.PrivateKey);
        Assert.Equal((ushort)0, set.ListenPort);
        Assert.Equal(0u, set.FwMark);

        var add = WgConfigParser.Parse($"[Peer]\nPublicKey={Peer1}\n", append: true);
        Assert.False(add.ReplacePeers);
        Assert.Null(add.PrivateKey);
        Assert.Null(add.ListenPort);
        Assert.Null(add.FwMark);
        Assert.True(add.Peers.Single().ReplaceAllowedIps);
    }

    [Fact]
    public void Off_values_are_zero()
    {
        var update = WgConfigParser.Parse($"[Interface]\nFwMark = off\n[Peer]\nPublicKey={Peer1}\nPersistentKeepalive = OFF\n", append: true);
        Assert.Equal(0u, update.FwMark);
        Assert.Equal((ushort)0, update.Peers[0].PersistentKeepalive);
    }

    [Theory]
    [InlineData("[Interface]\nAddress = 10.0.0.1/24", "Line unrecognized: `Address=10.0.0.1/24'")]
    [InlineData("[Interface]\nDNS = 1.1.1.1", "Line unrecognized: `DNS=1.1.1.1'")]
    [InlineData("[Interface]\nMTU = 1420", "Line unrecognized: `MTU=1420'")]
    [InlineData("[Interface]\nTable = off", "Line unrecognized: `Table=off'")]
    [InlineData("[Interface]\nPostUp = echo hi", "Line unrecognized: `PostUp=echohi'")]
    [InlineData("ListenPort = 1", "Line unrecognized: `ListenPort=1'")]
    [InlineData("[Interface]\nListenPort =", "Line unrecognized: `ListenPort='")]
    [InlineData("[Interface]\nListenPort = abc", "Servname not supported for ai_socktype: `abc'")]
    [InlineData("[Interface]\nFwMark = 0x", "Fwmark is neither 0/off nor 0-0xffffffff: `0x'")]
    [InlineData("[Interface]\nFwMark = 4294967296", "Fwmark is neither 0/off nor 0-0xffffffff: `4294967296'")]
    [InlineData("[Peer]\nPublicKey = abc", "Key is not the correct length or format: `abc'")]
    [InlineData("[Peer]\nPersistentKeepalive = 65536", "Persistent keepalive interval is neither 0/off nor 1-65535: `65536'")]
    [InlineData("[Peer]\nAllowedIPs = 10.0.0.1/33", "AllowedIP is not in the correct format: `10.0.0.1/33'")]
    [InlineData("[Peer]\nAllowedIPs = 10.0.0.01", "Unable to parse IP address: `10.0.0.01'")]
    [InlineData("[Peer]\nAllowedIPs = 10.0.0.1,,10.0.0.2", "Unable to parse IP address: `'")]
    [InlineData("[Peer]\nEndpoint = 192.0.2.1", "Unable to find port of endpoint: `192.0.2.1'")]
    [InlineData("[Peer]\nEndpoint = [::1", "Unable to find matching brace of endpoint: `[::1'")]
    public void Refuses_what_wg_refuses_with_its_messages(string text, string firstLine)
    {
        var e = Fails(text);
        Assert.Equal(firstLine + "\n" + WgConfigParser.ParsingError, e.Message);
    }

    [Fact]
    public void Never_echoes_a_secret_key()
    {
        string secret = PrivateB64[..40] + "!!!=";
        var misplaced = Fails($"[Peer]\nPrivateKey = {PrivateB64}");
        Assert.DoesNotContain(PrivateB64, misplaced.Message);
        Assert.StartsWith("Line unrecognized: `PrivateKey=(hidden)'", misplaced.Message);
        var malformed = Fails($"[Interface]\nPrivateKey = {secret}");
        Assert.DoesNotContain(secret, malformed.Message);
        Assert.StartsWith(WgValueParser.KeyFormatError, malformed.Message);
    }

    [Fact]
    public void A_peer_without_public_key_is_an_invalid_configuration()
    {
        var e = Fails("[Peer]\nAllowedIPs = 10.0.0.1/32\n");
        Assert.Equal("A peer is missing a public key\n" + WgConfigParser.InvalidConfiguration, e.Message);
    }

    [Fact]
    public void Keys_with_stray_padding_bits_are_refused()
    {
        // 'B' in the last position sets one of the two padding bits wg requires to be zero.
        string stray = new string('A', 42) + "B=";
        Assert.False(WgKeyText.TryParse(stray, out _));
        Assert.True(WgKeyText.TryParse(new string('A', 42) + "E=", out _));
        Fails($"[Peer]\nPublicKey = {stray}");
    }
}
