using System.Net;
using System.Net.Sockets;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>What the UDP forwards share.</summary>
internal static class UdpFlows
{
    /// <summary>The largest datagram read from a host socket.</summary>
    public const int MaxDatagram = 65535;

    /// <summary>
    /// The largest datagram read from the tunnel, per flow: the tunnel MTU bounds it (no fragmentation there), and a
    /// full flow table then holds 16 MiB of buffers at most instead of 64.
    /// </summary>
    public const int MaxTunnelDatagram = 16 * 1024;

    /// <summary>How often idle flows are looked for: a fraction of the idle time, between 50 ms and 5 s.</summary>
    public static TimeSpan SweepPeriod(TimeSpan idle)
    {
        var period = idle / 4;
        if (period < TimeSpan.FromMilliseconds(50)) return TimeSpan.FromMilliseconds(50);
        return period > TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : period;
    }

    /// <summary>The target as an IP endpoint, a name resolved through the tunnel within the connect timeout.</summary>
    public static async Task<IPEndPoint> ResolveAsync(ProxyContext context, EndPoint target, CancellationToken ct)
    {
        if (target is IPEndPoint ip) return ip;
        var name = (DnsEndPoint)target;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(context.Limits.ConnectTimeout);
        try
        {
            var addresses = await context.Network.ResolveAsync(name.Host, deadline.Token).ConfigureAwait(false);
            return new IPEndPoint(addresses[0], name.Port);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }
}
