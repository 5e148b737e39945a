using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// Reads a wg-quick CONF for `wgsharp proxy` and `wgsharp forward`. [Interface] and [Peer] keys of wg(8) go to
/// <see cref="WgConfigParser"/> (one parser for that syntax); wg-quick's Address, DNS and MTU are read here; the
/// root-only keys (PreUp, PostUp, PreDown, PostDown, Table, FwMark, SaveConfig) are collected for one warning and
/// ignored. The proxy's own sections (docs/proxy.md):
/// <code>
/// [Socks5]  Listen = [ADDR:]PORT        (repeatable)
/// [Http]    Listen = [ADDR:]PORT        (repeatable)
/// [Proxy]   Username = NAME, Password = SECRET | PasswordFile = PATH,
///           MaxClients, HandshakeTimeout, ConnectTimeout, MaxUdpFlows, UdpIdleTimeout = N   (limits; seconds for timeouts)
/// [Forward] tcp | udp | remote-tcp | remote-udp = SPEC without its kind   (repeatable)
/// </code>
/// Any error is one line "FILE:LINE: what", never a key.
/// </summary>
internal sealed class ProxyConfigParser
{
    private static readonly string[] RootOnlyKeys = ["PreUp", "PostUp", "PreDown", "PostDown", "Table", "FwMark", "SaveConfig"];
    private static readonly string[] ForwardKinds = ["tcp", "udp", "remote-tcp", "remote-udp"];

    /// <summary>The longest password or user name RFC 1929 can carry.</summary>
    private const int MaxCredentialLength = 255;

    private enum Section { None, Interface, Peer, Socks5, Http, Proxy, Forward }

    private readonly string _file;
    private readonly WgConfigParser _wg = new(append: false);
    private readonly List<IPNetwork> _addresses = [];
    private readonly List<IPAddress> _dns = [];
    private readonly List<ProxyServiceSpec> _services = [];
    private readonly List<string> _ignored = [];
    private int _mtu = 1420;
    private string? _userName, _password;
    private ProxyLimits _limits = new();
    private Section _section;
    private int _lineNumber;

    private ProxyConfigParser(string file) => _file = file;

    /// <summary>Reads and parses <paramref name="path"/>; <see cref="ProxyConfigException"/> for an unreadable or bad file.</summary>
    public static ProxyConfig Load(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            // A CONF is small: refuse a device or a huge file rather than read it whole.
            if (info.Exists && info.Length > 1 << 20) throw new ProxyConfigException($"{path}: larger than 1 MiB");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProxyConfigException($"{path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses CONF text; <paramref name="file"/> names it in messages.</summary>
    public static ProxyConfig Parse(string text, string file)
    {
        var parser = new ProxyConfigParser(file);
        foreach (string line in text.Split('\n'))
        {
            parser._lineNumber++;
            parser.ReadLine(line.TrimEnd('\r'));
        }
        return parser.Finish();
    }

    private void ReadLine(string raw)
    {
        int comment = raw.IndexOf('#');
        string line = (comment >= 0 ? raw[..comment] : raw).Trim();
        if (line.Length == 0) return;
        if (line[0] == '[')
        {
            StartSection(line);
            return;
        }
        int equals = line.IndexOf('=');
        if (equals <= 0) throw Error($"'{ServiceSpecParser.Shorten(line)}' is not KEY = VALUE");
        string key = line[..equals].Trim();
        string value = line[(equals + 1)..].Trim();
        if (value.Length == 0) throw Error($"{key} has no value");
        switch (_section)
        {
            case Section.None: throw Error($"{key} is outside any section");
            case Section.Interface or Section.Peer: ReadWireGuardKey(raw, key, value); break;
            case Section.Socks5: _services.Add(Listener(ProxyServiceKind.Socks5, key, value)); break;
            case Section.Http: _services.Add(Listener(ProxyServiceKind.Http, key, value)); break;
            case Section.Proxy: ReadProxyKey(key, value); break;
            case Section.Forward: ReadForward(key, value); break;
        }
    }

    private void StartSection(string line)
    {
        _section = line.ToLowerInvariant() switch
        {
            "[interface]" => Section.Interface,
            "[peer]" => Section.Peer,
            "[socks5]" => Section.Socks5,
            "[http]" => Section.Http,
            "[proxy]" => Section.Proxy,
            "[forward]" => Section.Forward,
            _ => throw Error($"unknown section {ServiceSpecParser.Shorten(line)}"),
        };
        if (_section is Section.Interface or Section.Peer) Wg(line);
    }

    private void ReadWireGuardKey(string raw, string key, string value)
    {
        if (_section == Section.Interface)
        {
            if (Is(key, "Address")) { foreach (string item in List(value)) _addresses.Add(ParseAddress(item)); return; }
            if (Is(key, "DNS")) { ReadDns(value); return; }
            if (Is(key, "MTU")) { _mtu = ParseMtu(value); return; }
            if (RootOnlyKeys.FirstOrDefault(k => Is(key, k)) is { } rootOnly)
            {
                if (!_ignored.Contains(rootOnly)) _ignored.Add(rootOnly);
                return;
            }
        }
        Wg(raw);
    }

    /// <summary>Hands a line to wg's parser; its message (already free of secrets) gets our file and line.</summary>
    private void Wg(string raw)
    {
        try { _wg.ReadLine(raw); }
        catch (WgParseException e) { throw Error(e.Message); }
    }

    private void ReadDns(string value)
    {
        foreach (string item in List(value))
        {
            if (IPAddress.TryParse(item, out var server) && !item.Contains('%')) _dns.Add(server);
            else if (!_ignored.Contains("DNS search domains")) _ignored.Add("DNS search domains"); // wg-quick's resolvconf use: nothing to do without a host resolver
        }
    }

    private ProxyServiceSpec Listener(ProxyServiceKind kind, string key, string value)
    {
        if (!Is(key, "Listen")) throw Error($"unknown key {key} in [{(kind == ProxyServiceKind.Socks5 ? "Socks5" : "Http")}] (Listen = [ADDR:]PORT)");
        try { return new ProxyServiceSpec(kind, ServiceSpecParser.ParseListen(value)); }
        catch (ProxyConfigException e) { throw Error(e.Message); }
    }

    private void ReadProxyKey(string key, string value)
    {
        if (Is(key, "Username")) _userName = Credential(key, value);
        else if (Is(key, "Password")) _password = Credential(key, value);
        else if (Is(key, "PasswordFile")) _password = Credential(key, ReadPasswordFile(value));
        else if (Is(key, "MaxClients")) _limits = _limits with { MaxClients = Number(key, value, 1, ProxyLimits.MaxMaxClients) };
        else if (Is(key, "HandshakeTimeout")) _limits = _limits with { HandshakeTimeout = Seconds(key, value) };
        else if (Is(key, "ConnectTimeout")) _limits = _limits with { ConnectTimeout = Seconds(key, value) };
        else if (Is(key, "MaxUdpFlows")) _limits = _limits with { MaxUdpFlows = Number(key, value, 1, ProxyLimits.MaxMaxUdpFlows) };
        else if (Is(key, "UdpIdleTimeout")) _limits = _limits with { UdpFlowIdle = Seconds(key, value) };
        else throw Error($"unknown key {key} in [Proxy] (Username, Password, PasswordFile, MaxClients, HandshakeTimeout, ConnectTimeout, MaxUdpFlows, UdpIdleTimeout)");
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    private int Number(string key, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < min || number > max)
            throw Error($"{key} {ServiceSpecParser.Shorten(value)}: not a number from {min} to {max}");
        return number;
    }

    /// <summary>A whole number of seconds from 1 to an hour (longer would let a client hold a slot for as long).</summary>
    private TimeSpan Seconds(string key, string value) =>
        TimeSpan.FromSeconds(Number(key, value, 1, (int)ProxyLimits.MaxTimeout.TotalSeconds));

    private string ReadPasswordFile(string path)
    {
        try
        {
            if (new FileInfo(path).Length > 4096) throw Error($"PasswordFile {path}: larger than 4 KiB");
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error($"PasswordFile {e.Message}");
        }
    }

    private string Credential(string key, string value)
    {
        // RFC 1929 carries each in one length byte; the value itself is never quoted back.
        if (System.Text.Encoding.UTF8.GetByteCount(value) > MaxCredentialLength) throw Error($"{key} is longer than {MaxCredentialLength} bytes");
        if (value.Length == 0) throw Error($"{key} is empty");
        return value;
    }

    private void ReadForward(string key, string value)
    {
        string? kind = ForwardKinds.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
        if (kind is null) throw Error($"unknown key {key} in [Forward] (tcp, udp, remote-tcp, remote-udp)");
        try { _services.Add(ServiceSpecParser.ParseForward($"{kind}:{value}")); }
        catch (ProxyConfigException e) { throw Error(e.Message); }
    }

    private ProxyConfig Finish()
    {
        DeviceUpdate update;
        try { update = _wg.Finish(); }
        catch (WgParseException e) { throw new ProxyConfigException($"{_file}: {e.Message}"); }
        if (update.PrivateKey is not { IsZero: false }) throw new ProxyConfigException($"{_file}: [Interface] has no PrivateKey");
        if (_addresses.Count == 0) throw new ProxyConfigException($"{_file}: [Interface] has no Address (the tunnel address this proxy uses)");
        if ((_userName is null) != (_password is null)) throw new ProxyConfigException($"{_file}: [Proxy] needs both Username and a Password (or PasswordFile)");
        var peers = new List<PeerConfiguration>();
        var seen = new HashSet<Key>();
        foreach (var peer in update.Peers)
        {
            if (!seen.Add(peer.PublicKey)) throw new ProxyConfigException($"{_file}: peer {peer.PublicKey.ToBase64()} is listed twice");
            peers.Add(new PeerConfiguration
            {
                PublicKey = peer.PublicKey,
                PresharedKey = peer.PresharedKey,
                Endpoint = peer.Endpoint,
                AllowedIPs = [.. peer.AddAllowedIps.Select(p => { var m = p.Masked(); return new IPNetwork(m.Address, m.Bits); })],
                PersistentKeepalive = peer.PersistentKeepalive is { } k and > 0 ? TimeSpan.FromSeconds(k) : null,
            });
        }
        return new ProxyConfig
        {
            WireGuard = new InterfaceConfiguration { PrivateKey = update.PrivateKey, ListenPort = update.ListenPort ?? 0, Peers = peers },
            Addresses = _addresses,
            DnsServers = _dns,
            Mtu = _mtu,
            Services = _services,
            Credentials = _userName is null ? null : new ProxyCredentials(_userName, _password!),
            Limits = _limits,
            Ignored = _ignored,
        };
    }

    private IPNetwork ParseAddress(string text)
    {
        if (!IpPrefix.TryParse(text, out var prefix, out string error)) throw Error($"Address {ServiceSpecParser.Shorten(text)}: {error}");
        // wg-quick takes 10.0.0.2/24 as "this address, on this subnet": the stack needs the address itself.
        return new IPNetwork(prefix.Value.Address, prefix.Value.Address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    private int ParseMtu(string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) || mtu is < 576 or > 65535)
            throw Error($"MTU {ServiceSpecParser.Shorten(text)}: not a number from 576 to 65535");
        return mtu;
    }

    private static IEnumerable<string> List(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static bool Is(string key, string name) => key.Equals(name, StringComparison.OrdinalIgnoreCase);

    private ProxyConfigException Error(string what) => new($"{_file}:{_lineNumber}: {what}");
}
