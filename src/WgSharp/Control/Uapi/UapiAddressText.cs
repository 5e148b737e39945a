using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// IP addresses, endpoints and prefixes in the exact text form wireguard-go accepts and prints
/// (Go's net/netip). .NET's own parser is far more lenient ("1.2", "0x7f.1", unbracketed IPv6
/// endpoints) and its IPv6 printer differs (it writes ::1.2.3.4 where Go writes ::102:304), so
/// both directions are done here by hand.
/// </summary>
internal static class UapiAddressText
{
    /// <summary>
    /// Parses an IPv4 dotted quad (no leading zeros) or an IPv6 address with an optional %zone.
    /// A zone must name an existing interface or be a numeric index, because IPAddress can only
    /// hold a numeric scope.
    /// </summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, bool allowZone, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.Contains(':')) return TryParseIPv6(text, allowZone, out address);
        Span<byte> v4 = stackalloc byte[4];
        if (!TryParseIPv4(text, v4)) return false;
        address = new IPAddress(v4);
        return true;
    }

    /// <summary>Parses "1.2.3.4:51820" or "[fd00::1]:51820" (brackets required for IPv6 and refused for IPv4).</summary>
    public static bool TryParseEndpoint(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        endpoint = null;
        int colon = text.LastIndexOf(':');
        if (colon < 0) return false;
        ReadOnlySpan<char> host = text[..colon], port = text[(colon + 1)..];
        if (!UapiDecimal.TryParse(port, ushort.MaxValue, out ulong portNumber)) return false;

        IPAddress? address;
        if (host.Length >= 2 && host[0] == '[' && host[^1] == ']')
        {
            if (!TryParseIPv6(host[1..^1], allowZone: true, out address)) return false;
        }
        else
        {
            // An unbracketed host with a colon is an IPv6 address that Go refuses; an IPv4 inside brackets too.
            if (host.Contains(':') || host.Contains('[') || host.Contains(']')) return false;
            Span<byte> v4 = stackalloc byte[4];
            if (!TryParseIPv4(host, v4)) return false;
            address = new IPAddress(v4);
        }
        endpoint = new IPEndPoint(address, (int)portNumber);
        return true;
    }

    /// <summary>
    /// Parses "ADDR/BITS" as Go's netip.ParsePrefix does: the length is mandatory, has no sign and
    /// no leading zeros, and IPv6 zones are refused. Host bits are kept; callers mask.
    /// </summary>
    public static bool TryParsePrefix(ReadOnlySpan<char> text, [NotNullWhen(true)] out IpPrefix? prefix)
    {
        prefix = null;
        int slash = text.LastIndexOf('/');
        if (slash < 0) return false;
        ReadOnlySpan<char> addressText = text[..slash], bitsText = text[(slash + 1)..];
        if (bitsText.Length > 1 && bitsText[0] == '0') return false;
        if (!TryParseAddress(addressText, allowZone: false, out var address)) return false;
        int maxBits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!UapiDecimal.TryParse(bitsText, (ulong)maxBits, out ulong bits)) return false;
        prefix = new IpPrefix(address, (int)bits);
        return true;
    }

    /// <summary>Formats an address as Go's netip.Addr.String does (RFC 5952 for IPv6, ::ffff:a.b.c.d for mapped IPv4).</summary>
    public static string FormatAddress(IPAddress address)
    {
        var sb = new StringBuilder(46);
        AppendAddress(sb, address);
        return sb.ToString();
    }

    /// <summary>Formats an endpoint as wireguard-go prints it: a.b.c.d:port or [v6]:port.</summary>
    public static string FormatEndpoint(IPEndPoint endpoint)
    {
        var sb = new StringBuilder(56);
        bool v6 = endpoint.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6) sb.Append('[');
        AppendAddress(sb, endpoint.Address);
        if (v6) sb.Append(']');
        sb.Append(':').Append(endpoint.Port.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Formats a prefix as ADDR/BITS with Go's address text.</summary>
    public static string FormatPrefix(IpPrefix prefix) =>
        FormatAddress(prefix.Address) + "/" + prefix.Bits.ToString(CultureInfo.InvariantCulture);

    private static void AppendAddress(StringBuilder sb, IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(b, out _);
            AppendIPv4(sb, b[..4]);
            return;
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            throw new ArgumentException("only IPv4 and IPv6 addresses have a UAPI form", nameof(address));
        address.TryWriteBytes(b, out _);
        if (address.IsIPv4MappedToIPv6)
        {
            sb.Append("::ffff:");
            AppendIPv4(sb, b[12..16]);
        }
        else
        {
            AppendIPv6Groups(sb, b);
        }
        if (address.ScopeId != 0) sb.Append('%').Append(address.ScopeId.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendIPv4(StringBuilder sb, ReadOnlySpan<byte> b) =>
        sb.Append(b[0]).Append('.').Append(b[1]).Append('.').Append(b[2]).Append('.').Append(b[3]);

    /// <summary>RFC 5952: lowercase hex, no leading zeros, the first longest run of two or more zero groups becomes "::".</summary>
    private static void AppendIPv6Groups(StringBuilder sb, ReadOnlySpan<byte> b)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++) groups[i] = (ushort)((b[2 * i] << 8) | b[2 * i + 1]);

        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0) { i++; continue; }
            int start = i;
            while (i < 8 && groups[i] == 0) i++;
            if (i - start > bestLength && i - start >= 2) { bestStart = start; bestLength = i - start; }
        }

        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                sb.Append("::");
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength) sb.Append(':');
            sb.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Exactly four decimal fields 0-255, no leading zeros, nothing else.</summary>
    private static bool TryParseIPv4(ReadOnlySpan<char> text, Span<byte> output)
    {
        int field = 0;
        for (int part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if (field >= text.Length || text[field] != '.') return false;
                field++;
            }
            int end = field;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            ReadOnlySpan<char> digits = text[field..end];
            if (digits.IsEmpty || digits.Length > 3 || (digits.Length > 1 && digits[0] == '0')) return false;
            if (!UapiDecimal.TryParse(digits, 255, out ulong octet)) return false;
            output[part] = (byte)octet;
            field = end;
        }
        return field == text.Length;
    }

    /// <summary>
    /// Hex groups of at most four digits, one optional "::", an optional trailing dotted quad in
    /// place of the last two groups, and an optional non-empty %zone.
    /// </summary>
    private static bool TryParseIPv6(ReadOnlySpan<char> text, bool allowZone, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        long scope = 0;
        int percent = text.IndexOf('%');
        if (percent >= 0)
        {
            if (!allowZone) return false;
            if (!TryResolveZone(text, percent, out scope)) return false;
            text = text[..percent];
        }

        Span<byte> bytes = stackalloc byte[16];
        int written = 0, ellipsis = -1, i = 0;
        if (text.StartsWith("::")) { ellipsis = 0; i = 2; if (text.Length == 2) goto Done; }
        else if (text.StartsWith(":")) return false;

        while (i < text.Length)
        {
            int end = i;
            while (end < text.Length && char.IsAsciiHexDigit(text[end])) end++;
            if (end < text.Length && text[end] == '.')
            {
                // Embedded IPv4 must be the final part and needs room for four bytes.
                if (written > 12) return false;
                if (!TryParseIPv4(text[i..], bytes.Slice(written, 4))) return false;
                written += 4;
                break;
            }
            int digits = end - i;
            if (digits == 0 || digits > 4 || written >= 16) return false;
            ushort group = ushort.Parse(text[i..end], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            bytes[written++] = (byte)(group >> 8);
            bytes[written++] = (byte)group;
            i = end;
            if (i == text.Length) break;
            if (text[i] != ':') return false;
            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (ellipsis >= 0) return false;
                ellipsis = written;
                i++;
                if (i == text.Length) break;
            }
            else if (i == text.Length)
            {
                return false; // a trailing single colon
            }
        }

    Done:
        if (ellipsis >= 0)
        {
            if (written == 16) return false; // "::" must stand for at least one zero group
            int tail = written - ellipsis;
            bytes.Slice(ellipsis, tail).CopyTo(bytes.Slice(16 - tail, tail));
            bytes.Slice(ellipsis, 16 - written).Clear();
        }
        else if (written != 16)
        {
            return false;
        }
        address = new IPAddress(bytes, scope);
        return true;
    }

    private static bool TryResolveZone(ReadOnlySpan<char> text, int percent, out long scope)
    {
        scope = 0;
        ReadOnlySpan<char> zone = text[(percent + 1)..];
        if (zone.IsEmpty) return false;
        if (UapiDecimal.TryParse(zone, uint.MaxValue, out ulong numeric)) { scope = (long)numeric; return true; }
        // Let .NET map an interface name to its index; it silently drops names it cannot resolve.
        if (!IPAddress.TryParse("fe80::%" + zone.ToString(), out var probe) || probe.ScopeId == 0) return false;
        scope = probe.ScopeId;
        return true;
    }
}
