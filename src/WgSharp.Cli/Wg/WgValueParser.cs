using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// The values of `wg set` arguments and configuration files, with wg's acceptance rules and
/// error texts. Every method throws <see cref="WgParseException"/> for a value wg refuses.
/// </summary>
internal static class WgValueParser
{
    public const string KeyFormatError = "Key is not the correct length or format";

    /// <summary>A UDP port: a decimal number up to 65535 or a udp service name from /etc/services.</summary>
    public static ushort ParsePort(string value)
    {
        if (value.Length == 0) throw new WgParseException("Unable to parse empty port");
        if (value.All(char.IsAsciiDigit))
        {
            if (ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong port) && port <= ushort.MaxValue)
                return (ushort)port;
        }
        else if (ServiceDatabase.TryFindUdpPort(value, out ushort named))
        {
            return named;
        }
        throw new WgParseException($"Servname not supported for ai_socktype: `{value}'");
    }

    /// <summary>"off", or a decimal or 0x-prefixed hexadecimal 32-bit mark.</summary>
    public static uint ParseFwMark(string value)
    {
        if (value.Equals("off", StringComparison.OrdinalIgnoreCase)) return 0;
        bool hex = value.Length > 2 && value[0] == '0' && value[1] == 'x';
        string digits = hex ? value[2..] : value;
        var style = hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
        bool wellFormed = value.Length > 0 && char.IsAsciiDigit(value[0]) && digits.Length > 0 &&
                          (hex ? digits.All(char.IsAsciiHexDigit) : digits.All(char.IsAsciiDigit));
        if (!wellFormed || !ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out ulong mark) || mark > uint.MaxValue)
            throw new WgParseException($"Fwmark is neither 0/off nor 0-0xffffffff: `{value}'");
        return (uint)mark;
    }

    /// <summary>
    /// A base64 key. wg echoes a refused value; wgsharp does so only for public keys, so that a
    /// mistyped private or preshared key never lands in a terminal log.
    /// </summary>
    public static Key ParseKey(string value, bool secret)
    {
        if (WgKeyText.TryParse(value, out var key)) return key;
        throw new WgParseException(secret ? KeyFormatError : $"{KeyFormatError}: `{value}'");
    }

    /// <summary>
    /// A key read from a file (`private-key FILE`, `preshared-key FILE`): the base64 text and
    /// optional trailing whitespace. An empty file (such as /dev/null) means the zero key, i.e. remove.
    /// </summary>
    public static Key ParseKeyFile(string path)
    {
        // Read into locked, no-dump memory that is zeroed when done: the file's base64 text never reaches the heap.
        const int MaxKeyFileBytes = 64 * 1024; // key files are tiny; a huge or endless one (/dev/zero) is refused
        using var memory = new SecretMemory(MaxKeyFileBytes + 1);
        var content = memory.GetSpan();
        int length = 0;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            for (int n; length < content.Length && (n = stream.Read(content[length..])) > 0;) length += n;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WgParseException("fopen: " + Describe(e));
        }
        if (length > MaxKeyFileBytes) throw new WgParseException("Invalid length key in key file");
        if (length == 0) return Key.Zero;
        if (length < 44) throw new WgParseException("Invalid length key in key file");
        for (int i = 44; i < length; i++)
            if (!IsSpace((char)content[i]))
                throw new WgParseException($"Found trailing character in key file: `{(char)content[i]}'");
        return ParseKeyBytes(content[..44]) ?? throw new WgParseException(KeyFormatError);
    }

    /// <summary>44 bytes of base64 as a key, through a zeroed stack copy: no string of the key is made.</summary>
    public static Key? ParseKeyBytes(ReadOnlySpan<byte> base64)
    {
        Span<char> text = stackalloc char[44];
        if (base64.Length != text.Length) return null;
        for (int i = 0; i < text.Length; i++) text[i] = (char)base64[i];
        bool parsed = Key.TryParseBase64(text, out var key, out _);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text));
        return parsed ? key : null;
    }

    /// <summary>"off" or 0-65535 seconds (0 also means off).</summary>
    public static ushort ParsePersistentKeepalive(string value)
    {
        if (value.Equals("off", StringComparison.OrdinalIgnoreCase)) return 0;
        if (value.Length > 0 && value.All(char.IsAsciiDigit) &&
            ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seconds) && seconds <= ushort.MaxValue)
            return (ushort)seconds;
        throw new WgParseException($"Persistent keepalive interval is neither 0/off nor 1-65535: `{value}'");
    }

    /// <summary>
    /// Comma-separated ADDR[/BITS] (no BITS: a host route); an empty value is an empty list.
    /// Host bits are kept as written; the daemon masks them.
    /// </summary>
    public static List<IpPrefix> ParseAllowedIps(string value)
    {
        var result = new List<IpPrefix>();
        if (value.Length == 0) return result;
        foreach (string entry in value.Split(','))
        {
            int slash = entry.IndexOf('/');
            string ip = slash < 0 ? entry : entry[..slash];
            IPAddress? address;
            bool parsed = ip.Contains(':')
                ? UapiAddressText.TryParseAddress(ip, allowZone: false, out address) && address.AddressFamily == AddressFamily.InterNetworkV6
                : UapiAddressText.TryParseAddress(ip, allowZone: false, out address);
            if (!parsed) throw new WgParseException($"Unable to parse IP address: `{ip}'");
            int maxBits = address!.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            int bits = maxBits;
            if (slash >= 0)
            {
                string mask = entry[(slash + 1)..];
                if (mask.Length == 0 || !mask.All(char.IsAsciiDigit) ||
                    !ulong.TryParse(mask, NumberStyles.None, CultureInfo.InvariantCulture, out ulong cidr) || cidr > (ulong)maxBits)
                    throw new WgParseException($"AllowedIP is not in the correct format: `{entry}'");
                bits = (int)cidr;
            }
            result.Add(new IpPrefix(address, bits));
        }
        return result;
    }

    /// <summary>
    /// HOST:PORT or [IPV6]:PORT; HOST may be a name, resolved now (the UAPI only takes addresses).
    /// Temporary resolver failures are retried as wg does (WG_ENDPOINT_RESOLUTION_RETRIES, default 15).
    /// </summary>
    public static IPEndPoint ParseEndpoint(string value, TextWriter? progress = null) => ParseEndpoint(value, out _, progress);

    /// <summary>As <see cref="ParseEndpoint(string, TextWriter?)"/>; <paramref name="name"/> is the host name it came from, null for an address.</summary>
    public static IPEndPoint ParseEndpoint(string value, out EndpointName? name, TextWriter? progress = null)
    {
        name = null;
        if (value.Length == 0) throw new WgParseException("Unable to parse empty endpoint");
        string host, port;
        if (value[0] == '[')
        {
            int close = value.IndexOf(']');
            if (close < 0) throw new WgParseException($"Unable to find matching brace of endpoint: `{value}'");
            if (close + 1 >= value.Length || value[close + 1] != ':' || close + 2 >= value.Length)
                throw new WgParseException($"Unable to find port of endpoint: `{value}'");
            host = value[1..close];
            port = value[(close + 2)..];
        }
        else
        {
            int colon = value.LastIndexOf(':');
            if (colon < 0 || colon + 1 >= value.Length) throw new WgParseException($"Unable to find port of endpoint: `{value}'");
            host = value[..colon];
            port = value[(colon + 1)..];
        }

        ushort portNumber;
        try { portNumber = ParsePort(port); }
        catch (WgParseException) { throw new WgParseException($"Servname not supported for ai_socktype: `{value}'"); }

        if (UapiAddressText.TryParseAddress(host, allowZone: true, out var literal))
            return new IPEndPoint(literal, portNumber);
        var resolved = new IPEndPoint(Resolve(host, value, progress), portNumber);
        if (EndpointName.IsValidHost(host)) name = new EndpointName(host, portNumber);
        return resolved;
    }

    private static IPAddress Resolve(string host, string value, TextWriter? progress)
    {
        int retries = ResolutionRetries();
        var delay = TimeSpan.FromSeconds(1);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return HostLookup.FirstAddress(host) ?? throw new WgParseException($"Neither IPv4 nor IPv6 address found: `{value}'");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TryAgain && (retries < 0 || attempt < retries))
            {
                progress?.WriteLine($"Temporary failure in name resolution: `{value}'. Trying again in {delay.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds...");
                Thread.Sleep(delay);
                delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(20).Ticks, delay.Ticks * 6 / 5));
            }
            catch (SocketException e)
            {
                string reason = e.SocketErrorCode switch
                {
                    SocketError.HostNotFound or SocketError.NoData => "Name or service not known",
                    SocketError.TryAgain => "Temporary failure in name resolution",
                    _ => e.Message,
                };
                throw new WgParseException($"{reason}: `{value}'");
            }
            catch (ArgumentException)
            {
                throw new WgParseException($"Name or service not known: `{value}'");
            }
        }
    }

    /// <summary>-1 for "infinity".</summary>
    private static int ResolutionRetries()
    {
        string? setting = Environment.GetEnvironmentVariable("WG_ENDPOINT_RESOLUTION_RETRIES");
        if (setting == "infinity") return -1;
        return int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 15;
    }

    /// <summary>C's isspace in the "C" locale.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    internal static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };
}
