using System.Buffers;
using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// Copies both ways between a host socket and a connection through the tunnel until both sides have finished. The end
/// of one side's data (FIN) is passed on as a half-close, so a client that shuts down its sending still reads the
/// answer; a failure on either side ends both. Buffers come from the shared pool, one per direction.
/// </summary>
internal static class StreamRelay
{
    private const int BufferSize = 32 * 1024; // per direction per connection: 500 connections hold 32 MiB

    /// <summary>
    /// Relays until both directions end. <paramref name="hostIsClient"/> says which side is the service's client, for the
    /// counters: bytes from the client count as BytesIn, bytes to it as BytesOut. <paramref name="pendingToTunnel"/> is
    /// data already read from the host (after a proxy request head) that goes first. Throws when either side failed;
    /// the caller closes both.
    /// </summary>
    public static async Task RunAsync(Socket host, TunnelStream tunnel, bool hostIsClient, ProxyServiceCounters counters,
        ReadOnlyMemory<byte> pendingToTunnel, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toTunnel = HostToTunnelAsync(host, tunnel, pendingToTunnel, hostIsClient, counters, failed);
        var toHost = TunnelToHostAsync(tunnel, host, hostIsClient, counters, failed);
        try
        {
            await toTunnel.ConfigureAwait(false);
        }
        finally
        {
            await toHost.ConfigureAwait(false);
        }
    }

    private static async Task HostToTunnelAsync(Socket host, TunnelStream tunnel, ReadOnlyMemory<byte> pending, bool hostIsClient,
        ProxyServiceCounters counters, CancellationTokenSource failed)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var ct = failed.Token;
            if (!pending.IsEmpty)
            {
                await tunnel.WriteAsync(pending, ct).ConfigureAwait(false);
                Count(counters, fromClient: hostIsClient, pending.Length);
            }
            while (true)
            {
                int n = await host.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    tunnel.ShutdownWrite(); // the host side finished sending: so does the tunnel side, reading goes on
                    return;
                }
                await tunnel.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                Count(counters, fromClient: hostIsClient, n);
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task TunnelToHostAsync(TunnelStream tunnel, Socket host, bool hostIsClient, ProxyServiceCounters counters, CancellationTokenSource failed)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var ct = failed.Token;
            while (true)
            {
                int n = await tunnel.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    host.Shutdown(SocketShutdown.Send);
                    return;
                }
                await host.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
                Count(counters, fromClient: !hostIsClient, n);
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Count(ProxyServiceCounters counters, bool fromClient, int bytes)
    {
        if (fromClient) Interlocked.Add(ref counters.BytesIn, bytes);
        else Interlocked.Add(ref counters.BytesOut, bytes);
    }
}
