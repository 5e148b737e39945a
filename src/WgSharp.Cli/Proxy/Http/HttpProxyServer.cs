using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Http;

/// <summary>
/// An HTTP proxy on a host socket: CONNECT host:port (a tunnel connection, then bytes both ways) and absolute-URI
/// requests (GET http://host/path: rewritten to origin-form, hop-by-hop and Proxy-* fields dropped, sent with
/// "Connection: close"; the body follows exactly as framed, then the response until the origin closes). One request
/// per client connection: what a client sends after its request body is not read. Errors: 400 malformed, 407 missing/wrong credentials, 431 head too large, 502 refused/unreachable/
/// name not found, 504 timed out.
/// </summary>
internal sealed class HttpProxyServer(ProxyServiceSpec spec, ProxyContext context) : HostTcpService(spec, context)
{
    private static readonly string[] HopByHop = ["Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate", "TE", "Trailer", "Upgrade", "Host"];

    private readonly byte[]? _credentials = context.Credentials is { } c ? Encoding.UTF8.GetBytes($"{c.UserName}:{c.Password}") : null;

    protected override async Task ServeClientAsync(Socket client, ClientSlot slot)
    {
        var stopping = slot.Stopping;
        var buffer = new HandshakeBuffer(Context.Limits.MaxHttpHeadBytes);
        HttpRequestHead? head;
        using (var deadline = HandshakeDeadline(slot))
        {
            while (true)
            {
                var parse = HttpRequestHead.Parse(buffer.Unread, out head);
                if (parse == HttpHeadParse.Complete) break;
                if (parse == HttpHeadParse.Malformed)
                {
                    await RefuseAsync(client, 400, "Bad Request", "malformed request").ConfigureAwait(false);
                    return;
                }
                if (buffer.IsFull)
                {
                    await RefuseAsync(client, 431, "Request Header Fields Too Large", $"request head over {Context.Limits.MaxHttpHeadBytes} bytes").ConfigureAwait(false);
                    return;
                }
                if (!await buffer.FillAsync(client, deadline.Token).ConfigureAwait(false)) throw Refused("request cut short");
            }
        }
        buffer.Consume(head!.Length);
        if (_credentials is not null && !Authorized(head))
        {
            await RefuseAsync(client, 407, "Proxy Authentication Required", "missing or wrong credentials").ConfigureAwait(false);
            return;
        }
        if (string.Equals(head.Method, "CONNECT", StringComparison.Ordinal))
        {
            if (!HttpRequestHead.TryParseAuthority(head.Target, 0, out var host, out int port))
            {
                await RefuseAsync(client, 400, "Bad Request", "CONNECT needs host:port").ConfigureAwait(false);
                return;
            }
            await using var tunnel = await ConnectOrRefuseAsync(client, host, port, stopping).ConfigureAwait(false);
            if (tunnel is null) return;
            await RelayAsync(client, tunnel, "HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), buffer.UnreadMemory, stopping).ConfigureAwait(false);
        }
        else
        {
            if (!HttpRequestHead.TryParseAbsoluteHttp(head.Target, out var host, out int port, out var authority, out var path))
            {
                await RefuseAsync(client, 400, "Bad Request", "not an absolute http:// URI").ConfigureAwait(false);
                return;
            }
            await using var tunnel = await ConnectOrRefuseAsync(client, host, port, stopping).ConfigureAwait(false);
            if (tunnel is null) return;
            try
            {
                await tunnel.WriteAsync(Encoding.Latin1.GetBytes(RewriteHead(head, authority, path)), stopping).ConfigureAwait(false);
                await HttpMessageRelay.RunAsync(client, tunnel, head, buffer.UnreadMemory, Context.Limits.MaxHttpHeadBytes, Counters, stopping).ConfigureAwait(false);
            }
            catch
            {
                tunnel.Abort();
                throw;
            }
            await DrainQuietlyAsync(client, slot).ConfigureAwait(false);
        }
    }

    /// <summary>The request to the origin: origin-form target, Host from the URI, no hop-by-hop or Proxy-* fields, Connection: close.</summary>
    internal static string RewriteHead(HttpRequestHead head, string authority, string path)
    {
        var named = new HashSet<string>(HopByHop, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in head.Headers)
        {
            if (!string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var option in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)) named.Add(option);
        }
        var text = new StringBuilder();
        text.Append(head.Method).Append(' ').Append(path).Append(' ').Append(head.Version).Append("\r\n");
        text.Append("Host: ").Append(authority).Append("\r\n");
        foreach (var (name, value) in head.Headers)
        {
            if (named.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)) continue;
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        text.Append("Connection: close\r\n\r\n");
        return text.ToString();
    }

    private bool Authorized(HttpRequestHead head)
    {
        var value = head.Header("Proxy-Authorization");
        if (value is null || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        var encoded = value.AsSpan(6).Trim();
        var decoded = new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out int length)) return false;
        return CryptographicOperations.FixedTimeEquals(decoded.AsSpan(0, length), _credentials);
    }

    /// <summary>The tunnel connection, or null after the 502/504 reply.</summary>
    private async Task<TunnelStream?> ConnectOrRefuseAsync(Socket client, string host, int port, CancellationToken stopping)
    {
        var target = TunnelConnector.Target(host, port);
        try
        {
            return await TunnelConnector.ConnectAsync(Context.Network, target, Context.Limits.ConnectTimeout, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            var failure = TargetFailures.Classify(e);
            var reason = $"{TunnelConnector.Describe(target)}: {TargetFailures.Describe(failure)}";
            if (failure == TargetFailure.TimedOut) await RefuseAsync(client, 504, "Gateway Timeout", reason).ConfigureAwait(false);
            else await RefuseAsync(client, 502, "Bad Gateway", reason).ConfigureAwait(false);
            return null;
        }
    }

    private async Task RelayAsync(Socket client, TunnelStream tunnel, byte[] reply, ReadOnlyMemory<byte> pending, CancellationToken stopping)
    {
        try
        {
            await client.SendAsync(reply, SocketFlags.None, stopping).ConfigureAwait(false);
            await StreamRelay.RunAsync(client, tunnel, hostIsClient: true, Counters, pending, stopping).ConfigureAwait(false);
        }
        catch
        {
            tunnel.Abort();
            throw;
        }
    }

    /// <summary>Sends the error response (a one-line text body), counts the client refused and ends it.</summary>
    private async Task RefuseAsync(Socket client, int status, string phrase, string reason)
    {
        string body = $"{status} {phrase}: {reason}\n";
        var refused = Refused(reason); // counted before the client can see the reply
        string authenticate = status == 407 ? "Proxy-Authenticate: Basic realm=\"wgsharp\"\r\n" : "";
        var response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n{authenticate}\r\n{body}");
        try
        {
            using var deadline = new CancellationTokenSource(Context.Limits.HandshakeTimeout);
            await client.SendAsync(response, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
            await DrainAsync(client, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client is gone or does not read: it is closed all the same
        }
        throw refused;
    }

    /// <summary>
    /// Reads what the client still sends (a bounded amount, within the handshake timeout): closing with unread bytes
    /// would reset the connection, and the client could lose the error response before reading it.
    /// </summary>
    private static async Task DrainAsync(Socket client, CancellationToken ct)
    {
        var scratch = new byte[4096];
        for (int total = 0; total < MaxDrainBytes;)
        {
            int n = await client.ReceiveAsync(scratch, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) return;
            total += n;
        }
    }

    private const int MaxDrainBytes = 1 << 20;

    /// <summary>After a response: let the client close first (within the handshake timeout), so it reads all of it.</summary>
    private async Task DrainQuietlyAsync(Socket client, ClientSlot slot)
    {
        using var deadline = HandshakeDeadline(slot);
        try
        {
            await DrainAsync(client, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // it did not close in time, or reset: closed all the same
        }
    }

    private ProxyClientException Refused(string reason)
    {
        Interlocked.Increment(ref Counters.Refused);
        return new ProxyClientException(reason);
    }
}
