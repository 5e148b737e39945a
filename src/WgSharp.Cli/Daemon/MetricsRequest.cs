using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>What the metrics endpoint answers to the bytes a client has sent so far.</summary>
internal enum MetricsVerdict
{
    /// <summary>No blank line yet: wait for more (or refuse when the buffer is full).</summary>
    Incomplete,
    /// <summary>GET /metrics, from an allowed host, with the token when one is required.</summary>
    Serve,
    /// <summary>The request line or a header is not HTTP.</summary>
    BadRequest,
    /// <summary>A method other than GET.</summary>
    MethodNotAllowed,
    /// <summary>A path other than /metrics.</summary>
    NotFound,
    /// <summary>A Host header naming neither the listen address, nor localhost, nor a configured name (DNS rebinding).</summary>
    ForbiddenHost,
    /// <summary>A token is required and the request lacks it or has another.</summary>
    Unauthorized,
}

/// <summary>
/// The metrics endpoint's request parser: a pure function of the bytes received and the access rules, so the fuzz
/// campaign can call it directly (<see cref="Judge"/>). Reads only the request line, Host and Authorization; every
/// other header is skipped. Never throws on any input and allocates nothing.
/// </summary>
internal static class MetricsRequest
{
    /// <summary>The verdict on <paramref name="received"/> (everything read from the connection so far).</summary>
    public static MetricsVerdict Judge(ReadOnlySpan<byte> received, MetricsAccess access)
    {
        int end = received.IndexOf("\r\n\r\n"u8);
        if (end < 0) return MetricsVerdict.Incomplete;
        var head = received[..(end + 2)]; // every line with its CRLF
        int lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = head[..lineEnd];
        var headers = head[(lineEnd + 2)..];

        int firstSpace = requestLine.IndexOf((byte)' ');
        if (firstSpace <= 0) return MetricsVerdict.BadRequest;
        var method = requestLine[..firstSpace];
        var rest = requestLine[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0 || !rest[(secondSpace + 1)..].StartsWith("HTTP/1."u8)) return MetricsVerdict.BadRequest;
        var target = rest[..secondSpace];

        ReadOnlySpan<byte> host = default, authorization = default;
        bool sawHost = false, sawAuthorization = false;
        while (headers.Length > 0)
        {
            int next = headers.IndexOf("\r\n"u8);
            var line = headers[..next];
            headers = headers[(next + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) return MetricsVerdict.BadRequest;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (sawHost) return MetricsVerdict.BadRequest; // two Hosts: which one would a proxy have checked?
                sawHost = true;
                host = value;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Authorization"u8))
            {
                if (sawAuthorization) return MetricsVerdict.BadRequest;
                sawAuthorization = true;
                authorization = value;
            }
        }

        if (!method.SequenceEqual("GET"u8)) return MetricsVerdict.MethodNotAllowed;
        int query = target.IndexOf((byte)'?');
        if (query >= 0) target = target[..query];
        if (!target.SequenceEqual("/metrics"u8)) return MetricsVerdict.NotFound;
        // No Host at all is no browser (HTTP/1.1 browsers always send one): only a named host can be a rebinding.
        if (sawHost && !access.AllowsHost(host)) return MetricsVerdict.ForbiddenHost;
        if (access.RequiresToken && !access.AllowsAuthorization(authorization)) return MetricsVerdict.Unauthorized;
        return MetricsVerdict.Serve;
    }
}
