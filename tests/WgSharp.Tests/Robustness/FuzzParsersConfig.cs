using System.Net;
using System.Text;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Fuzz targets for configuration text: hostname.if files (netstart's word splitting and quoting, its positional
/// address rewriting, then the ifconfig grammar and the address plan each line leads to), wg(8)/wg-quick
/// configuration files and `wg set` arguments. Name resolution is no parser's business and would make every run
/// wait on DNS: host names resolve to a fixed address here, and a `wg` endpoint whose host is not an address literal
/// is replaced by one. Key files named by `wg set` are replaced by two fixed files (a key, and garbage).
/// </summary>
public static class FuzzParsersConfig
{
    private static readonly IPAddress Resolved = IPAddress.Parse("192.0.2.1");
    private static readonly IReadOnlyList<IpPrefix> ExistingAddresses =
    [
        new(IPAddress.Parse("10.0.0.1"), 24), new(IPAddress.Parse("10.0.0.2"), 24),
        new(IPAddress.Parse("fe80::1"), 64), new(IPAddress.Parse("fd00::1"), 64),
    ];
    private static readonly Lazy<(string Good, string Bad)> KeyFiles = new(WriteKeyFiles);

    /// <summary>"hostnameif": the input is a whole hostname.wg0 file.</summary>
    public static void HostnameIf(ReadOnlySpan<byte> input)
    {
        var file = HostnameIfReader.Parse("/etc/hostname.wg0", "wg0", Encoding.UTF8.GetString(input), _ => Resolved);
        foreach (var line in file.Lines)
        {
            if (line.Error is { } error)
            {
                _ = error.FullMessage;
                continue;
            }
            if (line.Command is not { } command) continue;
            if (!InterfaceAddressPlan.TryPlan(ExistingAddresses, command, out var addresses, out _)) continue;
            _ = InterfaceAddressPlan.CheckMtu(command.Mtu ?? 1420, addresses, command.Mtu is not null);
        }
    }

    /// <summary>"wgconf": the input is a `wg setconf`/`addconf` file (first byte: 1 = addconf); malformed ones must be a <see cref="WgParseException"/>.</summary>
    public static void WgConf(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        bool append = (input[0] & 1) != 0;
        var lines = Encoding.UTF8.GetString(input[1..]).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string compact = new([.. lines[i].Where(c => !WgValueParser.IsSpace(c))]);
            if (compact.StartsWith("endpoint=", StringComparison.OrdinalIgnoreCase) && !IsAddressLiteral(compact["endpoint=".Length..]))
                lines[i] = "Endpoint = 192.0.2.1:51820";
        }
        try { WgConfigParser.Parse(string.Join('\n', lines), append).ClearSecrets(); }
        catch (WgParseException) { }
    }

    /// <summary>"wgset": the input is the arguments of `wg set wg0`, one per line; malformed ones must be a <see cref="WgParseException"/>.</summary>
    public static void WgSet(ReadOnlySpan<byte> input)
    {
        var args = Encoding.UTF8.GetString(input).Split('\n');
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "endpoint" && !IsAddressLiteral(args[i + 1])) args[i + 1] = "192.0.2.1:51820";
            else if (args[i] is "private-key" or "preshared-key")
                args[i + 1] = args[i + 1].Length % 2 == 0 ? KeyFiles.Value.Good : KeyFiles.Value.Bad;
        }
        try { WgSetArguments.Parse(args).ClearSecrets(); }
        catch (WgParseException) { }
    }

    /// <summary>Whether resolving the endpoint's host needs no DNS: an address literal (a zone only as a number).</summary>
    private static bool IsAddressLiteral(string endpoint)
    {
        string host;
        if (endpoint.StartsWith('['))
        {
            int close = endpoint.IndexOf(']');
            if (close < 0) return true; // refused before any lookup
            host = endpoint[1..close];
        }
        else
        {
            int colon = endpoint.LastIndexOf(':');
            if (colon < 0) return true; // refused before any lookup
            host = endpoint[..colon];
        }
        int zone = host.IndexOf('%');
        if (zone >= 0)
        {
            if (!host[(zone + 1)..].All(char.IsAsciiDigit)) return false;
            host = host[..zone];
        }
        return host.Length > 0 && host.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':') && IPAddress.TryParse(host, out _);
    }

    private static (string, string) WriteKeyFiles()
    {
        string directory = Directory.CreateTempSubdirectory("wgsharp-fuzz-keys-").FullName;
        string good = Path.Combine(directory, "good"), bad = Path.Combine(directory, "bad");
        File.WriteAllText(good, Convert.ToBase64String(Enumerable.Repeat((byte)0x55, 32).ToArray()) + "\n");
        File.WriteAllText(bad, "not a key\n");
        return (good, bad);
    }

    /// <summary>Seeds: a typical hostname.if (positional inet forms, quotes, comments, !cmd), wg config files and `wg set` lines.</summary>
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> Seeds(string publicKey)
    {
        yield return ("hostnameif", "typical", Encoding.UTF8.GetBytes(
            $"# wg0\nwgkey {publicKey}\nwgport 51820\nwgpeer {publicKey} wgendpoint vpn.example.org 51820 wgaip 10.9.0.0/16 wgdescr \"peer nine\"\n" +
            "inet 10.9.0.1 255.255.0.0 NONE\ninet alias 10.9.0.7 0xffffff00 10.9.0.255\ninet6 fd09::1 64\ninet6 alias fd09::2\nmtu 1380\n!echo $if is up\nup\n"));
        yield return ("hostnameif", "removals", Encoding.UTF8.GetBytes(
            $"-wgpeer {publicKey}\n-inet\ninet 10.0.0.2 delete\ninet6 fd00::1 -alias\nwgdescr 'single quoted' # comment\nmtu 1200\ndown\n"));
        yield return ("wgconf", "setconf", Encoding.UTF8.GetBytes(
            $"\0[Interface]\nPrivateKey = {publicKey}\nListenPort = 51820\nFwMark = 0x10\n\n[Peer]\nPublicKey = {publicKey}\n" +
            $"PresharedKey = {publicKey}\nEndpoint = [2001:db8::1]:51820\nAllowedIPs = 10.0.0.0/8, fd00::/64\nPersistentKeepalive = 25 # comment\n"));
        yield return ("wgconf", "addconf", Encoding.UTF8.GetBytes($"\u0001[Peer]\nPublicKey={publicKey}\nEndpoint=192.0.2.7:1\nAllowedIPs=0.0.0.0/0\n"));
        yield return ("wgset", "device", Encoding.UTF8.GetBytes("listen-port\n51820\nfwmark\noff\nprivate-key\nkey"));
        yield return ("wgset", "peer", Encoding.UTF8.GetBytes(
            $"peer\n{publicKey}\npreshared-key\nk\nendpoint\n[fe80::1%2]:51820\npersistent-keepalive\n25\nallowed-ips\n10.0.0.0/8, fd00::/64\npeer\n{publicKey}\nremove"));
    }
}
