using System.Globalization;

namespace WgSharp.Configuration;

/// <summary>
/// A peer's endpoint as the administrator named it (`wgendpoint vpn.example.org 51820`, `Endpoint = host:port`):
/// the daemon keeps it to resolve it again when the peer's address changes (WgSharp.Device.EndpointResolver).
/// Travels in `set=1` as the wgsharp key `endpoint_host=HOST:PORT`, after the resolved `endpoint=`.
/// </summary>
internal sealed record EndpointName(string Host, ushort Port)
{
    /// <summary>Longest DNS name (RFC 1035).</summary>
    public const int MaxHostLength = 253;

    public override string ToString() => Host + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>HOST:PORT, HOST a name (no whitespace, control characters or ':'), PORT 1..65535.</summary>
    public static EndpointName? TryParse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0)
            return null;
        string host = text[..colon];
        return IsValidHost(host) ? new EndpointName(host, port) : null;
    }

    public static bool IsValidHost(string host) =>
        host.Length is > 0 and <= MaxHostLength && !host.Any(c => c == ':' || char.IsWhiteSpace(c) || char.IsControl(c));
}
