using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Who the metrics endpoint answers: the Host names it accepts (against DNS rebinding: a page that rebinds its own
/// name to 127.0.0.1 still sends that name as Host) and, when configured, the bearer token a request must carry.
/// Only the token's SHA-256 is kept, and requests are compared by hash in constant time: neither the token's bytes
/// nor its length leak through timing.
/// </summary>
internal sealed class MetricsAccess
{
    private readonly IPAddress? _listenAddress; // null: every address of the host is a valid literal
    private readonly bool _checkHost;
    private readonly byte[][] _names; // lowercase ASCII
    private readonly byte[]? _tokenHash;

    /// <param name="listenAddress">The TCP listen address; null for every address.</param>
    /// <param name="checkHost">False on a Unix socket, which no browser can reach.</param>
    /// <param name="names">Further host names to accept (e.g. the name Prometheus scrapes by).</param>
    /// <param name="tokenHash">SHA-256 of the bearer token, or null when none is required.</param>
    public MetricsAccess(IPAddress? listenAddress, bool checkHost, IEnumerable<string> names, byte[]? tokenHash)
    {
        _listenAddress = listenAddress;
        _checkHost = checkHost;
        _names = [.. names.Append("localhost").Select(name => Encoding.ASCII.GetBytes(name.ToLowerInvariant()))];
        _tokenHash = tokenHash;
    }

    /// <summary>Answers any Host and needs no token (a Unix socket with no token configured).</summary>
    public static MetricsAccess Unchecked { get; } = new(null, checkHost: false, [], null);

    /// <summary>True when a request must carry `Authorization: Bearer TOKEN`.</summary>
    public bool RequiresToken => _tokenHash is not null;

    /// <summary>True for a Host header value (with or without :port) this endpoint answers.</summary>
    public bool AllowsHost(ReadOnlySpan<byte> host)
    {
        if (!_checkHost) return true;
        var name = WithoutPort(host);
        if (name.IsEmpty || name.Length > 253) return false;
        foreach (var allowed in _names)
            if (Ascii.EqualsIgnoreCase(name, allowed)) return true;
        Span<char> text = stackalloc char[name.Length];
        if (Ascii.ToUtf16(name, text, out int written) != System.Buffers.OperationStatus.Done) return false;
        if (!IPAddress.TryParse(text[..written], out var address)) return false;
        // An address literal cannot be rebound; still, only the one listened on (any, when listening on all).
        return _listenAddress is null || address.Equals(_listenAddress);
    }

    /// <summary>True when <paramref name="authorization"/> is "Bearer " and the configured token.</summary>
    public bool AllowsAuthorization(ReadOnlySpan<byte> authorization)
    {
        if (_tokenHash is null) return true;
        if (authorization.Length < 7 || !Ascii.EqualsIgnoreCase(authorization[..7], "Bearer "u8)) return false;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(authorization[7..].Trim(" \t"u8), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _tokenHash);
    }

    /// <summary>"host", "host:port", "[v6]" or "[v6]:port" without the port (and brackets); a bare v6 literal whole.</summary>
    private static ReadOnlySpan<byte> WithoutPort(ReadOnlySpan<byte> host)
    {
        if (host.StartsWith("["u8))
        {
            int close = host.IndexOf((byte)']');
            if (close < 0) return default;
            var after = host[(close + 1)..];
            if (!after.IsEmpty && (after[0] != (byte)':' || !IsPort(after[1..]))) return default;
            return host[1..close];
        }
        int colon = host.IndexOf((byte)':');
        if (colon < 0) return host;
        if (host.LastIndexOf((byte)':') != colon) return host; // unbracketed v6: no port
        return IsPort(host[(colon + 1)..]) ? host[..colon] : default;
    }

    private static bool IsPort(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty || digits.Length > 5) return false;
        foreach (byte b in digits)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }
}
