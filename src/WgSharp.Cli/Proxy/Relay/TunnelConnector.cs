using System.Net;
using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>Opens connections through the tunnel within the configured connect timeout (name resolution included).</summary>
internal static class TunnelConnector
{
    /// <summary>
    /// An <see cref="IPEndPoint"/> for an IP literal, else a <see cref="DnsEndPoint"/> that the tunnel resolves (never the
    /// host's resolver). Brackets around an IPv6 literal are accepted.
    /// </summary>
    public static EndPoint Target(string host, int port)
    {
        var literal = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        return IPAddress.TryParse(literal, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }

    /// <summary>
    /// Connects to <paramref name="target"/>; a connect still pending after <paramref name="timeout"/> fails with
    /// SocketException(TimedOut). Cancellation of <paramref name="cancellationToken"/> (the service stopping) passes through.
    /// </summary>
    public static async Task<TunnelStream> ConnectAsync(WireGuardNetwork network, EndPoint target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await network.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    /// <summary>"host:port" for logs and error bodies ("[v6]:port" for IPv6).</summary>
    public static string Describe(EndPoint target) => target switch
    {
        DnsEndPoint name => $"{name.Host}:{name.Port}",
        _ => target.ToString() ?? "",
    };
}
