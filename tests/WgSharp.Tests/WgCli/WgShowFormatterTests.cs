using System.Net;
using System.Text;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;

namespace WgSharp.Tests.WgCli;

public class WgShowFormatterTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly string Pub = WgCliTestKeys.Public(1).ToBase64();
    private static readonly string Priv = WgCliTestKeys.Private(1).ToBase64();
    private static readonly string PeerA = WgCliTestKeys.Public(2).ToBase64();
    private static readonly string PeerB = WgCliTestKeys.Public(3).ToBase64();
    private static readonly string PeerC = WgCliTestKeys.Public(5).ToBase64();
    private static readonly string Psk = WgCliTestKeys.Preshared(4).ToBase64();

    private static IpPrefix P(string address, int bits) => new(IPAddress.Parse(address), bits);

    /// <summary>Peer A: idle; B: handshake 65 s ago with traffic; C: handshake 5 s ago.</summary>
    private static DeviceStatus Device() => new()
    {
        InterfaceName = "wgsw9",
        PrivateKey = WgCliTestKeys.Private(1),
        PublicKey = WgCliTestKeys.Public(1),
        ListenPort = 51820,
        FwMark = 0x2a,
        Peers =
        [
            new PeerStatus
            {
                PublicKey = WgCliTestKeys.Public(2),
                PresharedKey = WgCliTestKeys.Preshared(4),
                AllowedIps = [P("10.0.0.0", 24), P("fd00::", 64)],
                PersistentKeepalive = 25,
            },
            new PeerStatus
            {
                PublicKey = WgCliTestKeys.Public(3),
                Endpoint = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 51821),
                LastHandshake = Now.AddSeconds(-65),
                RxBytes = 1536,
                TxBytes = 100,
            },
            new PeerStatus
            {
                PublicKey = WgCliTestKeys.Public(5),
                Endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9),
                AllowedIps = [P("192.0.2.0", 24)],
                LastHandshake = Now.AddSeconds(-5).AddMilliseconds(-400),
                RxBytes = 3 * 1048576,
                TxBytes = 5 * 1073741824UL,
            },
        ],
    };

    [Fact]
    public void Dump_is_tab_separated_in_device_order()
    {
        string expected =
            $"{Priv}\t{Pub}\t51820\t0x2a\n" +
            $"{PeerA}\t{Psk}\t(none)\t10.0.0.0/24,fd00::/64\t0\t0\t0\t25\n" +
            $"{PeerB}\t(none)\t[2001:db8::1]:51821\t(none)\t{Now.ToUnixTimeSeconds() - 65}\t1536\t100\toff\n" +
            $"{PeerC}\t(none)\t192.0.2.1:9\t192.0.2.0/24\t{Now.ToUnixTimeSeconds() - 6}\t3145728\t5368709120\toff\n";
        Assert.Equal(expected, FormatterText.Dump(Device(), withInterface: false));
        Assert.Equal(string.Concat(expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "wgsw9\t" + l + "\n")),
            FormatterText.Dump(Device(), withInterface: true));
    }

    [Fact]
    public void Dump_of_an_empty_device()
    {
        var empty = new DeviceStatus { InterfaceName = "wgsw9" };
        Assert.Equal("(none)\t(none)\t0\toff\n", FormatterText.Dump(empty, withInterface: false));
    }

    [Fact]
    public void Pretty_report_sorts_peers_by_handshake_and_hides_secrets()
    {
        string expected =
            "interface: wgsw9\n" +
            $"  public key: {Pub}\n" +
            "  private key: (hidden)\n" +
            "  listening port: 51820\n" +
            "  fwmark: 0x2a\n" +
            "\n" +
            $"peer: {PeerC}\n" +
            "  endpoint: 192.0.2.1:9\n" +
            "  allowed ips: 192.0.2.0/24\n" +
            "  latest handshake: 6 seconds ago\n" + // whole seconds, as wg: 1699999994 to 1700000000
            "  transfer: 3.00 MiB received, 5.00 GiB sent\n" +
            "\n" +
            $"peer: {PeerB}\n" +
            "  endpoint: [2001:db8::1]:51821\n" +
            "  allowed ips: (none)\n" +
            "  latest handshake: 1 minute, 5 seconds ago\n" +
            "  transfer: 1.50 KiB received, 100 B sent\n" +
            "\n" +
            $"peer: {PeerA}\n" +
            "  preshared key: (hidden)\n" +
            "  allowed ips: 10.0.0.0/24, fd00::/64\n" +
            "  persistent keepalive: every 25 seconds\n";
        string pretty = FormatterText.Pretty(Device(), Now, TerminalColors.None);
        Assert.Equal(expected, pretty);
        Assert.DoesNotContain(Priv, pretty);
        Assert.DoesNotContain(Psk, pretty);
        Assert.Contains(Priv, FormatterText.Pretty(Device(), Now, TerminalColors.None, showKeys: true));
    }

    [Fact]
    public void Pretty_report_in_color()
    {
        string pretty = FormatterText.Pretty(new DeviceStatus { InterfaceName = "wgsw9", ListenPort = 1 }, Now, TerminalColors.Ansi);
        Assert.Equal("\x1b[0m\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32mwgsw9\x1b[0m\n  \x1b[1mlistening port\x1b[0m: 1\n", pretty);
    }

    [Theory]
    [InlineData("public-key", false, "PUB\n")]
    [InlineData("private-key", true, "wgsw9\tPRIV\n")]
    [InlineData("listen-port", false, "51820\n")]
    [InlineData("fwmark", false, "0x2a\n")]
    [InlineData("peers", false, "A\nB\nC\n")]
    [InlineData("peers", true, "wgsw9\tA\nwgsw9\tB\nwgsw9\tC\n")]
    [InlineData("preshared-keys", false, "A\tPSK\nB\t(none)\nC\t(none)\n")]
    [InlineData("endpoints", false, "A\t(none)\nB\t[2001:db8::1]:51821\nC\t192.0.2.1:9\n")]
    [InlineData("allowed-ips", false, "A\t10.0.0.0/24 fd00::/64\nB\t(none)\nC\t192.0.2.0/24\n")]
    [InlineData("latest-handshakes", false, "A\t0\nB\t1699999935\nC\t1699999994\n")]
    [InlineData("transfer", false, "A\t0\t0\nB\t1536\t100\nC\t3145728\t5368709120\n")]
    [InlineData("persistent-keepalive", false, "A\t25\nB\toff\nC\toff\n")]
    public void Single_fields(string field, bool withInterface, string template)
    {
        string expected = template.Replace("PSK", Psk).Replace("PRIV", Priv).Replace("PUB", Pub)
            .Replace("A\t", PeerA + "\t").Replace("A\n", PeerA + "\n").Replace("B\t", PeerB + "\t").Replace("B\n", PeerB + "\n")
            .Replace("C\t", PeerC + "\t").Replace("C\n", PeerC + "\n");
        Assert.Equal(expected, FormatterText.Field(Device(), field, withInterface));
    }

    [Fact]
    public void Unknown_field_is_null() => Assert.Null(FormatterText.Field(Device(), "bogus", false));

    [Fact]
    public void Showconf_layout()
    {
        string expected =
            "[Interface]\n" +
            "ListenPort = 51820\n" +
            "FwMark = 0x2a\n" +
            $"PrivateKey = {Priv}\n" +
            "\n" +
            "[Peer]\n" +
            $"PublicKey = {PeerA}\n" +
            $"PresharedKey = {Psk}\n" +
            "AllowedIPs = 10.0.0.0/24, fd00::/64\n" +
            "PersistentKeepalive = 25\n" +
            "\n" +
            "[Peer]\n" +
            $"PublicKey = {PeerB}\n" +
            "Endpoint = [2001:db8::1]:51821\n" +
            "\n" +
            "[Peer]\n" +
            $"PublicKey = {PeerC}\n" +
            "AllowedIPs = 192.0.2.0/24\n" +
            "Endpoint = 192.0.2.1:9\n";
        Assert.Equal(expected, FormatterText.Showconf(Device()));
        Assert.Equal("[Interface]\n\n", FormatterText.Showconf(new DeviceStatus { InterfaceName = "x" }));
    }

    [Fact]
    public void Showconf_output_parses_back_to_the_same_configuration()
    {
        var device = Device();
        var update = WgConfigParser.Parse(FormatterText.Showconf(device), append: false);
        Assert.Equal(device.PrivateKey, update.PrivateKey);
        Assert.Equal(device.ListenPort, update.ListenPort);
        Assert.Equal(device.FwMark, update.FwMark);
        Assert.Equal(device.Peers.Select(p => p.PublicKey), update.Peers.Select(p => p.PublicKey));
        Assert.Equal(device.Peers.Select(p => p.Endpoint), update.Peers.Select(p => p.Endpoint));
        Assert.Equal(device.Peers.Select(p => string.Join(",", p.AllowedIps)), update.Peers.Select(p => string.Join(",", p.AddAllowedIps)));
    }

    [Fact]
    public void Key_output_to_stdout_bytes_is_the_same_as_to_text_across_buffer_flushes()
    {
        // 600 peers make a dump of ~55 KB: several flushes of the 16 KiB buffer, one inside a key or a
        // multi-byte character (the description-free dump has none, so the interface name adds some).
        var peers = Enumerable.Range(0, 600).Select(i => new PeerStatus
        {
            PublicKey = WgCliTestKeys.Public((byte)(i % 200 + 10)),
            PresharedKey = i % 3 == 0 ? WgCliTestKeys.Preshared(4) : null,
            AllowedIps = [P("10.1.0.0", 16)],
        }).ToList();
        var device = new DeviceStatus { InterfaceName = "wg\u00e9\u20ac\U0001F511", PrivateKey = WgCliTestKeys.Private(1), Peers = peers };
        var bytes = new MemoryStream();
        using (var output = new KeyTextOutput(bytes)) WgShowFormatter.Dump(device, withInterface: true, output);
        string text = FormatterText.Dump(device, withInterface: true);
        Assert.True(bytes.Length > 32 * 1024);
        Assert.Equal(Encoding.UTF8.GetBytes(text), bytes.ToArray());
        Assert.Equal(601, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("wg\u00e9\u20ac\U0001F511\t" + Priv + "\t(none)\t0\toff\n", text, StringComparison.Ordinal);
    }
}

/// <summary>The formatters' output as text, through a <see cref="KeyTextOutput"/> over a string writer.</summary>
internal static class FormatterText
{
    private static string Render(Action<KeyTextOutput> write)
    {
        var text = new StringWriter { NewLine = "\n" };
        using (var output = new KeyTextOutput(text)) write(output);
        return text.ToString();
    }

    public static string Pretty(DeviceStatus device, DateTimeOffset now, TerminalColors colors, bool showKeys = false) =>
        Render(o => WgShowFormatter.Pretty(device, now, colors, o, showKeys));

    public static string? Field(DeviceStatus device, string field, bool withInterface) =>
        WgShowFormatter.IsField(field) ? Render(o => WgShowFormatter.Field(device, field, withInterface, o)) : null;

    public static string Dump(DeviceStatus device, bool withInterface) => Render(o => WgShowFormatter.Dump(device, withInterface, o));

    public static string Showconf(DeviceStatus device) => Render(o => WgConfFormatter.Format(device, o));
}
