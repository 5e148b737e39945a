using System.Globalization;
using System.Text;

namespace WgSharp.Cli.Proxy.Http;

/// <summary>What the parser made of the bytes so far.</summary>
internal enum HttpHeadParse
{
    /// <summary>The head has not ended yet (no empty line).</summary>
    Incomplete,
    /// <summary>A whole, well-formed head.</summary>
    Complete,
    /// <summary>Not a valid HTTP/1.x request head (reply 400).</summary>
    Malformed,
}

/// <summary>An HTTP/1.x request head: request line and header fields, in the order sent.</summary>
internal sealed record HttpRequestHead(string Method, string Target, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers, int Length)
{
    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var header in Headers)
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)) return header.Value;
        return null;
    }

    /// <summary>
    /// Parses the head at the start of <paramref name="data"/> (RFC 9112): request line, header fields, the empty line
    /// (CRLF line ends; empty lines before the request line are skipped). Never throws. Malformed: a bad method token,
    /// target or version (HTTP/1.0 and 1.1 only), a field without a colon or with a bad name, obsolete line folding,
    /// Content-Length and Transfer-Encoding together, Content-Lengths that disagree, a Transfer-Encoding whose last
    /// coding is not chunked (all ways to smuggle requests).
    /// <see cref="Length"/> is the head's length including the empty line.
    /// </summary>
    public static HttpHeadParse Parse(ReadOnlySpan<byte> data, out HttpRequestHead? head)
    {
        head = null;
        int skipped = 0;
        while (data[skipped..].StartsWith("\r\n"u8)) skipped += 2;
        var rest = data[skipped..];
        int end = rest.IndexOf("\r\n\r\n"u8);
        if (end < 0) return HttpHeadParse.Incomplete;
        var lines = rest[..(end + 2)]; // each line with its CRLF
        int lineEnd = lines.IndexOf("\r\n"u8);
        if (!TryParseRequestLine(lines[..lineEnd], out var method, out var target, out var version)) return HttpHeadParse.Malformed;
        lines = lines[(lineEnd + 2)..];
        var headers = new List<KeyValuePair<string, string>>();
        while (!lines.IsEmpty)
        {
            lineEnd = lines.IndexOf("\r\n"u8);
            if (!TryParseField(lines[..lineEnd], out var name, out var value)) return HttpHeadParse.Malformed;
            headers.Add(new(name, value));
            lines = lines[(lineEnd + 2)..];
        }
        if (!FramingIsUnambiguous(headers)) return HttpHeadParse.Malformed;
        head = new HttpRequestHead(method, target, version, headers, skipped + end + 4);
        return HttpHeadParse.Complete;
    }

    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out string version)
    {
        method = target = version = "";
        int space = line.IndexOf((byte)' ');
        if (space <= 0 || !IsToken(line[..space])) return false;
        method = Encoding.ASCII.GetString(line[..space]);
        line = line[(space + 1)..];
        space = line.IndexOf((byte)' ');
        if (space <= 0) return false;
        var targetBytes = line[..space];
        foreach (byte b in targetBytes)
            if (b is <= 0x20 or >= 0x7f) return false;
        target = Encoding.ASCII.GetString(targetBytes);
        var versionBytes = line[(space + 1)..];
        if (!versionBytes.SequenceEqual("HTTP/1.1"u8) && !versionBytes.SequenceEqual("HTTP/1.0"u8)) return false;
        version = Encoding.ASCII.GetString(versionBytes);
        return true;
    }

    private static bool TryParseField(ReadOnlySpan<byte> line, out string name, out string value)
    {
        name = value = "";
        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon])) return false; // also rejects obs-fold (a line starting with a space)
        var raw = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in raw)
            if (b is < 0x20 and not (byte)'\t' or 0x7f) return false; // CR, LF, NUL and other controls
        name = Encoding.ASCII.GetString(line[..colon]);
        value = Encoding.Latin1.GetString(raw);
        return true;
    }

    /// <summary>RFC 9110's token: visible ASCII but the delimiters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty) return false;
        foreach (byte b in text)
        {
            if (b is <= 0x20 or >= 0x7f) return false;
            if ("\"(),/:;<=>?@[\\]{}"u8.Contains(b)) return false;
        }
        return true;
    }

    private static bool FramingIsUnambiguous(List<KeyValuePair<string, string>> headers)
    {
        string? length = null;
        bool chunked = false;
        foreach (var (name, value) in headers)
        {
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
                if (length is not null && length != value) return false;
                length = value;
            }
            else if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                // The last coding must be chunked, or the body's end cannot be found (RFC 9112 §6.3).
                int comma = value.LastIndexOf(',');
                chunked = string.Equals(value[(comma + 1)..].Trim(), "chunked", StringComparison.OrdinalIgnoreCase);
                if (!chunked) return false;
            }
        }
        return !(chunked && length is not null);
    }

    /// <summary>
    /// Splits an authority "host:port", "[v6]:port" (or without the port: <paramref name="defaultPort"/>, 0 = required).
    /// False for an empty host, userinfo, a bad port.
    /// </summary>
    public static bool TryParseAuthority(string authority, int defaultPort, out string host, out int port)
    {
        host = "";
        port = 0;
        if (authority.Length == 0 || authority.Contains('@')) return false;
        string portText;
        if (authority[0] == '[')
        {
            int close = authority.IndexOf(']');
            if (close < 2) return false;
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length == 0) portText = "";
            else if (after[0] == ':') portText = after[1..];
            else return false;
            if (!System.Net.IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            if (colon >= 0 && authority.IndexOf(':') != colon) return false; // an IPv6 literal needs brackets
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? "" : authority[(colon + 1)..];
            if (host.Length == 0) return false;
        }
        if (portText.Length == 0)
        {
            port = defaultPort;
            return port > 0;
        }
        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }

    /// <summary>
    /// Splits an absolute http:// URI into its authority parts and the origin-form target (path and query, "/" when
    /// empty; a fragment is dropped). False for other schemes and bad authorities.
    /// </summary>
    public static bool TryParseAbsoluteHttp(string target, out string host, out int port, out string authority, out string originForm)
    {
        host = authority = originForm = "";
        port = 0;
        const string Scheme = "http://";
        if (!target.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var rest = target[Scheme.Length..];
        int hash = rest.IndexOf('#');
        if (hash >= 0) rest = rest[..hash];
        int pathStart = rest.IndexOfAny(['/', '?']);
        authority = pathStart < 0 ? rest : rest[..pathStart];
        originForm = pathStart < 0 ? "/" : rest[pathStart..];
        if (originForm[0] == '?') originForm = "/" + originForm;
        return TryParseAuthority(authority, 80, out host, out port);
    }
}
