using System.Net;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Parses the body of a `set=1` request (the lines after "set=1", up to the blank line) into one
/// <see cref="DeviceUpdate"/>, with wireguard-go's acceptance rules and errno values:
/// a line without '=' is EPROTO, everything else that is wrong (unknown key, device key after the
/// first public_key, bad value) is EINVAL. Unlike wireguard-go, which applies lines one by one, the
/// whole request is validated first, so a failed set changes nothing.
/// Feed lines with <see cref="ParseLine(ReadOnlySpan{byte})"/>; the first error wins and later lines are ignored.
/// </summary>
internal sealed class UapiSetParser
{
    private readonly DeviceUpdate _update = new();
    private readonly IEqualityComparer<IpPrefix>? _prefixComparer;
    private PeerUpdate? _peer;
    private bool _inPeerSection;
    private ConfigResult? _error;

    /// <summary>The first error seen, if any.</summary>
    public ConfigResult? Error => _error;

    /// <summary>A parser for one request.</summary>
    /// <param name="prefixComparer">Compares allowed-IP prefixes; null for value equality (tests pass one that counts the work).</param>
    public UapiSetParser(IEqualityComparer<IpPrefix>? prefixComparer = null) => _prefixComparer = prefixComparer;

    /// <summary>Parses a complete body: each element is one line without its newline.</summary>
    public static ConfigResult Parse(IEnumerable<string> lines, out DeviceUpdate? update) => Parse(lines, null, out update);

    /// <summary>Parses a complete body, comparing prefixes with <paramref name="prefixComparer"/> (null: value equality).</summary>
    public static ConfigResult Parse(IEnumerable<string> lines, IEqualityComparer<IpPrefix>? prefixComparer, out DeviceUpdate? update)
    {
        var parser = new UapiSetParser(prefixComparer);
        foreach (string line in lines)
        {
            if (line.Length == 0 || line == "\r") break; // the blank line ends the request
            if (!parser.ParseLine(line)) break;
        }
        return parser.Finish(out update);
    }

    /// <summary>Parses a body given as text ("key=value\n" lines, optionally ending with the blank line).</summary>
    public static ConfigResult Parse(string body, out DeviceUpdate? update) =>
        Parse(SplitLines(body), null, out update);

    /// <summary>Parses a body given as text, comparing prefixes with <paramref name="prefixComparer"/> (null: value equality).</summary>
    public static ConfigResult Parse(string body, IEqualityComparer<IpPrefix>? prefixComparer, out DeviceUpdate? update) =>
        Parse(SplitLines(body), prefixComparer, out update);

    /// <summary>Parses one line given as text (tests, tools); the server uses the byte form.</summary>
    public bool ParseLine(string line) => ParseLine(Encoding.UTF8.GetBytes(line));

    /// <summary>
    /// Parses one line of UTF-8 (without '\n'; one trailing '\r' is dropped as Go's line scanner does). Returns false
    /// once failed. Keys are parsed straight from these bytes and no part of the line that could be a key becomes a string.
    /// </summary>
    public bool ParseLine(ReadOnlySpan<byte> line)
    {
        if (_error is not null) return false;
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        var error = ParseKeyValue(line);
        if (error is not null) _error = error;
        return _error is null;
    }

    /// <summary>Drops a request that will never be finished (the client left): no key it carried stays behind.</summary>
    public void Abandon()
    {
        _update.ClearSecrets();
        _error ??= ConfigResult.Fail(Errno.EPROTO, "abandoned");
    }

    /// <summary>Fails the request for a reason found outside the parser (e.g. a line that is not UTF-8).</summary>
    public void Reject(ConfigResult error)
    {
        if (error.IsOk) throw new ArgumentException("a rejection needs an errno", nameof(error));
        _error ??= error;
    }

    /// <summary>The parsed update, or the error that stopped parsing.</summary>
    public ConfigResult Finish(out DeviceUpdate? update)
    {
        update = _error is null ? _update : null;
        if (_error is not null) _update.ClearSecrets(); // a refused request leaves no key behind
        return _error ?? ConfigResult.Ok;
    }

    /// <summary>Longest key name we know ("persistent_keepalive_interval"); a longer key is unknown without looking further.</summary>
    private const int MaxKeyChars = 40;

    /// <summary>Longest value other than a description or host name (an IPv6 endpoint with a zone fits easily).</summary>
    private const int MaxShortValueChars = 128;

    private ConfigResult? ParseKeyValue(ReadOnlySpan<byte> line)
    {
        int equals = line.IndexOf((byte)'=');
        if (equals < 0) return ConfigResult.Fail(Errno.EPROTO, "failed to parse a line without '='");
        var keyBytes = line[..equals];
        var value = line[(equals + 1)..];
        // Key names are ASCII and short: widened into the stack, an unknown (possibly secret) one is never a string.
        Span<char> keyChars = stackalloc char[MaxKeyChars];
        int keyLength = 0;
        if (keyBytes.Length <= MaxKeyChars)
            foreach (byte b in keyBytes) keyChars[keyLength++] = b < 0x80 ? (char)b : '\uFFFD';
        else keyChars.Fill('\uFFFD');
        ReadOnlySpan<char> key = keyBytes.Length <= MaxKeyChars ? keyChars[..keyLength] : keyChars;

        if (key.SequenceEqual("public_key"))
        {
            if (!Key.TryParseHex(value, out var publicKey))
                return Invalid("failed to get peer by public key: not 64 hex digits");
            _inPeerSection = true;
            _peer = new PeerUpdate(publicKey, _prefixComparer);
            _update.Peers.Add(_peer);
            return null;
        }
        return _inPeerSection ? ParsePeerLine(_peer!, key, value) : ParseDeviceLine(key, value);
    }

    private ConfigResult? ParseDeviceLine(ReadOnlySpan<char> key, ReadOnlySpan<byte> value)
    {
        Span<char> text = stackalloc char[MaxShortValueChars];
        switch (key)
        {
            case "private_key":
                // All-zero hex is a valid key value and means "remove the private key".
                if (!Key.TryParseHex(value, out var privateKey)) return Invalid("failed to set private_key: not 64 hex digits");
                _update.PrivateKey = privateKey;
                return null;
            case "listen_port":
                if (!UapiDecimal.TryParse(Short(value, text), ushort.MaxValue, out ulong port)) return Invalid("failed to parse listen_port: not a number from 0 to 65535");
                _update.ListenPort = (ushort)port;
                return null;
            case "fwmark":
                if (!UapiDecimal.TryParse(Short(value, text), uint.MaxValue, out ulong mark)) return Invalid("invalid fwmark: not a 32-bit number");
                _update.FwMark = (uint)mark;
                return null;
            case "replace_peers":
                if (!value.SequenceEqual("true"u8)) return Invalid("failed to set replace_peers: the value must be 'true'");
                _update.ReplacePeers = true;
                return null;

            // wgsharp extensions (OpenBSD dialect); wg(8) never sends them.
            case "remove_all_peers":
                if (!value.SequenceEqual("true"u8)) return Invalid("failed to set remove_all_peers: the value must be 'true'");
                _update.RemoveAllPeers = true;
                return null;
            case "debug":
                bool on = value.SequenceEqual("true"u8);
                if (!on && !value.SequenceEqual("false"u8)) return Invalid("failed to set debug: the value must be 'true' or 'false'");
                _update.Debug = on;
                return null;
            case "rtable":
                // OpenBSD routing tables are 0..RT_TABLEID_MAX (255).
                if (!UapiDecimal.TryParse(Short(value, text), 255, out ulong table)) return Invalid("invalid rtable: not a number from 0 to 255");
                _update.RTable = (int)table;
                return null;
            default:
                return Invalid($"invalid UAPI device key: {UapiLineKind.Key(key)}");
        }
    }

    /// <summary>
    /// A short value widened to characters on the stack (ASCII only; anything else cannot be a number or an
    /// address), or empty when it is too long or not ASCII, which every caller then refuses.
    /// </summary>
    private static ReadOnlySpan<char> Short(ReadOnlySpan<byte> value, Span<char> text)
    {
        if (value.Length > text.Length) return default;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] >= 0x80) return default;
            text[i] = (char)value[i];
        }
        return text[..value.Length];
    }

    private ConfigResult? ParsePeerLine(PeerUpdate peer, ReadOnlySpan<char> key, ReadOnlySpan<byte> value)
    {
        Span<char> text = stackalloc char[MaxShortValueChars];
        switch (key)
        {
            case "update_only":
                if (!value.SequenceEqual("true"u8)) return Invalid("failed to set update only: the value must be 'true'");
                peer.UpdateOnly = true;
                return null;
            case "remove":
                if (!value.SequenceEqual("true"u8)) return Invalid("failed to set remove: the value must be 'true'");
                MarkRemoved(peer);
                return null;
            case "preshared_key":
                if (!Key.TryParseHex(value, out var psk)) return Invalid("failed to set preshared key: not 64 hex digits");
                peer.PresharedKey = psk;
                return null;
            case "endpoint":
                if (!UapiAddressText.TryParseEndpoint(Short(value, text), out IPEndPoint? endpoint))
                    return Invalid("failed to set endpoint: not an address and port");
                peer.Endpoint = endpoint;
                return null;
            case "persistent_keepalive_interval":
                if (!UapiDecimal.TryParse(Short(value, text), ushort.MaxValue, out ulong seconds))
                    return Invalid("failed to set persistent keepalive interval: not a number from 0 to 65535");
                peer.PersistentKeepalive = (ushort)seconds;
                return null;
            case "replace_allowed_ips":
                if (!value.SequenceEqual("true"u8)) return Invalid("failed to replace allowedips: the value must be 'true'");
                // wireguard-go clears the peer's list at this point, dropping prefixes added earlier in the same section.
                peer.ReplaceAllowedIps = true;
                peer.AddAllowedIps.Clear();
                peer.RemoveAllowedIps.Clear();
                return null;
            case "allowed_ip":
            {
                if (!TryParseMaskedPrefix(Short(value, text), out var prefix)) return Invalid("failed to set allowed ip: not an address/prefix");
                peer.AllowIp(prefix);
                return null;
            }
            case "protocol_version":
                if (!value.SequenceEqual("1"u8)) return Invalid("invalid protocol version: only 1 is known");
                peer.ProtocolVersion = 1;
                return null;

            // wgsharp extensions (OpenBSD dialect); wg(8) never sends them.
            case "remove_allowed_ip":
            {
                if (!TryParseMaskedPrefix(Short(value, text), out var prefix)) return Invalid("failed to remove allowed ip: not an address/prefix");
                peer.DisallowIp(prefix);
                return null;
            }
            case UapiProtocol.EndpointHostKey:
                // Host names are free text the daemon keeps, so this one value does become a string.
                if (EndpointName.TryParse(Encoding.UTF8.GetString(value)) is not { } name) return Invalid("failed to set endpoint host: not a host name and port");
                peer.EndpointName = name;
                return null;
            case "description":
                string description = Encoding.UTF8.GetString(value);
                if (description.Any(char.IsControl)) return Invalid("invalid description: control characters are not allowed");
                peer.Description = description;
                return null;
            default:
                return Invalid($"invalid UAPI peer key: {UapiLineKind.Key(key)}");
        }
    }

    /// <summary>
    /// wireguard-go removes the peer at `remove=true` and sends the rest of its section to a
    /// throw-away placeholder, so the net effect is exactly a removal. Later lines are still
    /// validated, against a detached PeerUpdate.
    /// </summary>
    private void MarkRemoved(PeerUpdate peer)
    {
        var removal = new PeerUpdate(peer.PublicKey, _prefixComparer) { Remove = true };
        int index = _update.Peers.LastIndexOf(peer);
        if (index >= 0) _update.Peers[index] = removal;
        _peer = new PeerUpdate(peer.PublicKey, _prefixComparer);
    }

    private static bool TryParseMaskedPrefix(ReadOnlySpan<char> value, out IpPrefix prefix)
    {
        prefix = default;
        if (!UapiAddressText.TryParsePrefix(value, out var parsed)) return false;
        // wireguard-go's allowed-IPs trie stores only the network part, so 10.0.0.1/24 becomes 10.0.0.0/24.
        prefix = parsed.Value.Masked();
        return true;
    }

    private static ConfigResult Invalid(string message) => ConfigResult.Fail(Errno.EINVAL, message);

    private static IEnumerable<string> SplitLines(string body)
    {
        int start = 0;
        while (start < body.Length)
        {
            int newline = body.IndexOf('\n', start);
            if (newline < 0) { yield return body[start..]; yield break; }
            yield return body[start..newline];
            start = newline + 1;
        }
    }
}
