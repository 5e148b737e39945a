using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// Reads a wg(8) configuration file ([Interface] ListenPort, FwMark, PrivateKey; [Peer] PublicKey,
/// PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive) into one <see cref="DeviceUpdate"/>.
/// As wg: '#' starts a comment, all whitespace is ignored, section and key names are
/// case-insensitive, AllowedIPs may repeat, and any other key (wg-quick's Address, DNS, MTU ...)
/// is an error. Without <c>append</c> (setconf, syncconf) the update replaces the whole
/// configuration: absent device values are reset and the peer list is replaced; with it
/// (addconf) only what the file names changes. Every [Peer] replaces that peer's allowed IPs.
/// </summary>
internal sealed class WgConfigParser
{
    public const string ParsingError = "Configuration parsing error";
    public const string InvalidConfiguration = "Invalid configuration";

    private enum Section { None, Interface, Peer }

    private readonly DeviceUpdate _device = new();
    private readonly List<PeerDraft> _peers = [];
    private Section _section;

    public WgConfigParser(bool append)
    {
        if (append) return;
        _device.ReplacePeers = true;
        _device.PrivateKey = Key.Zero;
        _device.ListenPort = 0;
        _device.FwMark = 0;
    }

    /// <summary>Parses a whole file's text; the exception message holds wg's error lines (tests and tools: it holds the keys).</summary>
    public static DeviceUpdate Parse(string text, bool append) => Parse(Encoding.UTF8.GetBytes(text), append);

    /// <summary>
    /// Parses a whole file given as UTF-8, as the caller keeps it in locked memory: a PrivateKey or PresharedKey
    /// line is recognised and parsed in a zeroed stack buffer and never becomes a string (issue 21).
    /// </summary>
    public static DeviceUpdate Parse(ReadOnlySpan<byte> utf8, bool append)
    {
        var parser = new WgConfigParser(append);
        while (true)
        {
            int end = utf8.IndexOf((byte)'\n');
            var line = end < 0 ? utf8 : utf8[..end];
            try { parser.ReadLine(line); }
            catch (WgParseException e) { throw new WgParseException(e.Message + "\n" + ParsingError); }
            if (end < 0) break;
            utf8 = utf8[(end + 1)..];
        }
        try { return parser.Finish(); }
        catch (WgParseException e) { throw new WgParseException(e.Message + "\n" + InvalidConfiguration); }
    }

    /// <summary>Longer than any key line ("PresharedKey=" and 44 characters) once whitespace is gone.</summary>
    private const int SecretLineChars = 64;

    /// <summary>One line as UTF-8: a key line is handled without a string, any other line as text.</summary>
    public void ReadLine(ReadOnlySpan<byte> rawLine)
    {
        int comment = rawLine.IndexOf((byte)'#');
        if (comment >= 0) rawLine = rawLine[..comment];
        Span<char> cleaned = stackalloc char[SecretLineChars];
        try
        {
            int length = 0;
            bool fits = true;
            foreach (byte b in rawLine)
            {
                if (b >= 0x80 || length == cleaned.Length) { fits = false; break; } // not a key line
                if (!WgValueParser.IsSpace((char)b)) cleaned[length++] = (char)b;
            }
            if (fits && TryReadSecretLine(cleaned[..length])) return;
        }
        finally
        {
            cleaned.Clear();
        }
        ReadLine(Encoding.UTF8.GetString(rawLine));
    }

    private bool TryReadSecretLine(ReadOnlySpan<char> line)
    {
        if (_section == Section.Interface && SecretValue(line, "PrivateKey") is { Length: > 0 } privateKey)
            _device.PrivateKey = ParseSecret(privateKey);
        else if (_section == Section.Peer && SecretValue(line, "PresharedKey") is { Length: > 0 } psk)
            _peers[^1].PresharedKey = ParseSecret(psk);
        else return false;
        return true;
    }

    /// <summary>As <see cref="Value"/>, over characters; empty when the line is not KEY=VALUE.</summary>
    private static ReadOnlySpan<char> SecretValue(ReadOnlySpan<char> line, string key) =>
        line.Length > key.Length + 1 && line.StartsWith(key, StringComparison.OrdinalIgnoreCase) && line[key.Length] == '='
            ? line[(key.Length + 1)..] : default;

    private static Key ParseSecret(ReadOnlySpan<char> value) =>
        Key.TryParseBase64(value, out var key, out _) ? key : throw new WgParseException(WgValueParser.KeyFormatError);

    public void ReadLine(string rawLine)
    {
        int comment = rawLine.IndexOf('#');
        var cleaned = new StringBuilder(rawLine.Length);
        foreach (char c in comment >= 0 ? rawLine.AsSpan(0, comment) : rawLine.AsSpan())
            if (!WgValueParser.IsSpace(c)) cleaned.Append(c);
        if (cleaned.Length == 0) return;
        string line = cleaned.ToString();

        if (line.Equals("[Interface]", StringComparison.OrdinalIgnoreCase)) { _section = Section.Interface; return; }
        if (line.Equals("[Peer]", StringComparison.OrdinalIgnoreCase))
        {
            _section = Section.Peer;
            _peers.Add(new PeerDraft { ReplaceAllowedIps = true });
            return;
        }

        if (_section == Section.Interface)
        {
            if (Value(line, "ListenPort") is { } port) _device.ListenPort = WgValueParser.ParsePort(port);
            else if (Value(line, "FwMark") is { } mark) _device.FwMark = WgValueParser.ParseFwMark(mark);
            else if (Value(line, "PrivateKey") is { } key) _device.PrivateKey = WgValueParser.ParseKey(key, secret: true);
            else throw Unrecognized(line);
        }
        else if (_section == Section.Peer)
        {
            var peer = _peers[^1];
            if (Value(line, "Endpoint") is { } endpoint) { peer.Endpoint = WgValueParser.ParseEndpoint(endpoint, out var name); peer.EndpointName = name; }
            else if (Value(line, "PublicKey") is { } key) peer.PublicKey = WgValueParser.ParseKey(key, secret: false);
            else if (Value(line, "AllowedIPs") is { } ips) peer.AllowedIps.AddRange(WgValueParser.ParseAllowedIps(ips));
            else if (Value(line, "PersistentKeepalive") is { } keepalive) peer.PersistentKeepalive = WgValueParser.ParsePersistentKeepalive(keepalive);
            else if (Value(line, "PresharedKey") is { } psk) peer.PresharedKey = WgValueParser.ParseKey(psk, secret: true);
            else throw Unrecognized(line);
        }
        else
        {
            throw Unrecognized(line);
        }
    }

    public DeviceUpdate Finish()
    {
        if (_peers.Any(p => p.PublicKey is null)) throw new WgParseException("A peer is missing a public key");
        foreach (var peer in _peers) _device.Peers.Add(peer.ToUpdate());
        return _device;
    }

    /// <summary>The value after "KEY=" (key matched case-insensitively), or null; an empty value does not match.</summary>
    private static string? Value(string line, string key) =>
        line.Length > key.Length + 1 && line.StartsWith(key, StringComparison.OrdinalIgnoreCase) && line[key.Length] == '='
            ? line[(key.Length + 1)..] : null;

    /// <summary>wg quotes the whole line; secrets on a misplaced key line are masked instead.</summary>
    private static WgParseException Unrecognized(string line)
    {
        foreach (string secretKey in (string[])["PrivateKey=", "PresharedKey="])
            if (line.StartsWith(secretKey, StringComparison.OrdinalIgnoreCase))
                line = line[..secretKey.Length] + "(hidden)";
        return new WgParseException($"Line unrecognized: `{line}'");
    }
}
