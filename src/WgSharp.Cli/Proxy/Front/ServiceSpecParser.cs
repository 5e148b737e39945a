using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// Parses the service descriptions of the command line and CONF: a listen address `[ADDR:]PORT` (loopback for a
/// bare PORT; IPv6 in brackets) and a forward SPEC `tcp|udp:[LADDR:]LPORT:RHOST:RPORT` or
/// `remote-tcp|remote-udp:[TADDR:]TPORT:LHOST:LPORT`. Errors are <see cref="ProxyConfigException"/>s whose message
/// quotes the text and says what is wrong; the caller prefixes where it came from.
/// </summary>
internal static class ServiceSpecParser
{
    /// <summary>The longest DNS name (RFC 1035), so a SPEC cannot carry an absurd target.</summary>
    private const int MaxHostLength = 253;

    /// <summary>A listen address: `PORT` (127.0.0.1), `ADDR:PORT` or `[ADDR6]:PORT`; port 0 lets the system choose.</summary>
    public static IPEndPoint ParseListen(string text)
    {
        var parts = SplitColons(text);
        if (parts is null) throw Bad(text, "an unclosed '['");
        return parts.Count switch
        {
            1 => new IPEndPoint(IPAddress.Loopback, Port(parts[0], text, allowZero: true)),
            2 => new IPEndPoint(Address(parts[0], text), Port(parts[1], text, allowZero: true)),
            _ => throw Bad(text, "not [ADDR:]PORT (IPv6 addresses go in brackets)"),
        };
    }

    /// <summary>A forward SPEC.</summary>
    public static ProxyServiceSpec ParseForward(string text)
    {
        int colon = text.IndexOf(':');
        ProxyServiceKind? parsedKind = colon < 0 ? null : text[..colon] switch
        {
            "tcp" => ProxyServiceKind.TcpForward,
            "udp" => ProxyServiceKind.UdpForward,
            "remote-tcp" => ProxyServiceKind.RemoteTcpForward,
            "remote-udp" => ProxyServiceKind.RemoteUdpForward,
            _ => null,
        };
        if (parsedKind is not { } kind) throw Bad(text, "not tcp:, udp:, remote-tcp: or remote-udp:");
        var parts = SplitColons(text[(colon + 1)..]);
        if (parts is null) throw Bad(text, "an unclosed '['");
        bool remote = kind is ProxyServiceKind.RemoteTcpForward or ProxyServiceKind.RemoteUdpForward;
        if (parts.Count is not (3 or 4))
            throw Bad(text, remote ? "not remote-tcp|remote-udp:[TADDR:]TPORT:LHOST:LPORT" : "not tcp|udp:[LADDR:]LPORT:RHOST:RPORT");
        int i = parts.Count - 3;
        // Remote forwards listen on the tunnel: every tunnel address by default. Local ones on loopback by default.
        IPAddress listenAddress = i == 1 ? Address(parts[0], text) : remote ? IPAddress.Any : IPAddress.Loopback;
        int listenPort = Port(parts[i], text, allowZero: !remote);
        string host = remote ? LocalHost(parts[i + 1], text) : RemoteHost(parts[i + 1], text);
        int targetPort = Port(parts[i + 2], text, allowZero: false);
        return new ProxyServiceSpec(kind, new IPEndPoint(listenAddress, listenPort), host, targetPort);
    }

    /// <summary>Splits on ':' outside brackets, removing the brackets; null for an unclosed bracket.</summary>
    private static List<string>? SplitColons(string text)
    {
        var parts = new List<string>();
        int start = 0;
        bool bracketed = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] == '[' && i == start) bracketed = true;
            else if (i < text.Length && text[i] == ']' && bracketed) bracketed = false;
            else if (i == text.Length || (text[i] == ':' && !bracketed))
            {
                if (bracketed) return null;
                string part = text[start..i];
                parts.Add(part.Length >= 2 && part[0] == '[' && part[^1] == ']' ? part[1..^1] : part);
                start = i + 1;
            }
        }
        return parts;
    }

    private static IPAddress Address(string text, string whole)
    {
        if (text.Contains('%') || !IPAddress.TryParse(text, out var address) ||
            (address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
            throw Bad(whole, $"'{Shorten(text)}' is not an IP address");
        return address;
    }

    private static int Port(string text, string whole, bool allowZero)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535 || (port == 0 && !allowZero))
            throw Bad(whole, $"'{Shorten(text)}' is not a port ({(allowZero ? 0 : 1)}-65535)");
        return port;
    }

    /// <summary>A target behind the tunnel: an IP address, or a name resolved through the tunnel's DNS.</summary>
    private static string RemoteHost(string text, string whole)
    {
        if (IPAddress.TryParse(text, out var address) && !text.Contains('%')) return address.ToString();
        if (!IsHostName(text)) throw Bad(whole, $"'{Shorten(text)}' is neither an IP address nor a host name");
        return text;
    }

    /// <summary>A service on this machine: a literal address or "localhost" (no other name: the host's resolver is not asked).</summary>
    private static string LocalHost(string text, string whole)
    {
        if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return "localhost";
        if (IPAddress.TryParse(text, out var address) && !text.Contains('%')) return address.ToString();
        throw Bad(whole, $"'{Shorten(text)}' is not an IP address or localhost");
    }

    private static bool IsHostName(string text)
    {
        if (text.Length is 0 or > MaxHostLength) return false;
        foreach (string label in text.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')) return false;
        }
        return true;
    }

    private static ProxyConfigException Bad(string text, string why) => new($"'{Shorten(text)}': {why}");

    /// <summary>Quotes at most 80 characters of what the user gave, so one bad value stays one line.</summary>
    public static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
