using System.Buffers;
using System.Globalization;
using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Http;

/// <summary>
/// One forwarded request after its head: the body goes to the origin exactly as framed (Content-Length bytes, or
/// chunks up to the last one and the trailer; none otherwise) and nothing the client sends after it is read; the
/// response is relayed as it comes until the origin closes (it was asked to: Connection: close).
/// </summary>
internal static class HttpMessageRelay
{
    private const int BufferSize = 32 * 1024;

    public static async Task RunAsync(Socket client, TunnelStream origin, HttpRequestHead head, ReadOnlyMemory<byte> pending,
        int maxTrailerBytes, ProxyServiceCounters counters, CancellationToken stopping)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var response = CopyResponseAsync(origin, client, counters, ending.Token);
        try
        {
            await ForwardBodyAsync(client, origin, head, pending, maxTrailerBytes, counters, ending.Token).ConfigureAwait(false);
        }
        catch (Exception) when (response.IsCompletedSuccessfully)
        {
            // the origin answered and closed before taking the whole body (a 413, say): the client has its answer
        }
        catch
        {
            await ending.CancelAsync().ConfigureAwait(false);
            try { await response.ConfigureAwait(false); }
            catch (Exception) { /* cancelled with the body's failure, which is the one reported */ }
            throw;
        }
        await response.ConfigureAwait(false);
    }

    private static async Task CopyResponseAsync(TunnelStream origin, Socket client, ProxyServiceCounters counters, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = await origin.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref counters.BytesOut, n);
            }
            client.Shutdown(SocketShutdown.Send);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ForwardBodyAsync(Socket client, TunnelStream origin, HttpRequestHead head, ReadOnlyMemory<byte> pending,
        int maxTrailerBytes, ProxyServiceCounters counters, CancellationToken ct)
    {
        var (length, chunked) = Framing(head);
        if (!chunked && length == 0) return;
        var scanner = chunked ? new ChunkedBodyScanner(maxTrailerBytes) : null;
        long remaining = length;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var data = pending;
            while (true)
            {
                int take;
                if (scanner is not null)
                {
                    take = scanner.Advance(data.Span);
                    if (scanner.IsMalformed) throw new ProxyClientBodyException("malformed chunked body");
                }
                else
                {
                    take = (int)Math.Min(remaining, data.Length);
                    remaining -= take;
                }
                if (take > 0)
                {
                    await origin.WriteAsync(data[..take], ct).ConfigureAwait(false);
                    Interlocked.Add(ref counters.BytesIn, take);
                }
                if (scanner?.IsComplete ?? remaining == 0) return;
                int n = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0) throw new ProxyClientBodyException("the client closed before the end of its request body");
                data = buffer.AsMemory(0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The body's framing: chunked, or a Content-Length (0: none). The head parser already refused both together and bad lengths.</summary>
    internal static (long Length, bool Chunked) Framing(HttpRequestHead head)
    {
        if (head.Header("Transfer-Encoding") is not null) return (0, true);
        return head.Header("Content-Length") is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long length) ? (length, false) : (0, false);
    }
}

/// <summary>A request body that is cut short or malformed (logged at debug as is).</summary>
internal sealed class ProxyClientBodyException(string message) : Exception(message);
