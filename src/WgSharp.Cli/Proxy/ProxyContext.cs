using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Proxy;

/// <summary>Username/password a SOCKS5 client (RFC 1929) or an HTTP proxy client (Proxy-Authorization: Basic) must give.</summary>
internal sealed record ProxyCredentials(string UserName, string Password);

/// <summary>Every resource a client can make the proxy hold has a limit here (the defaults are the documented ones).</summary>
internal sealed record ProxyLimits
{
    /// <summary>The largest MaxClients a CONF may ask for (each client holds two descriptors and a task).</summary>
    public const int MaxMaxClients = 65536;
    /// <summary>The largest MaxUdpFlows a CONF may ask for (each flow holds a socket and a 16 KiB buffer).</summary>
    public const int MaxMaxUdpFlows = 65536;
    /// <summary>The longest timeout a CONF may ask for.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    /// <summary>Client connections held at once per service; beyond it new ones are closed at once and counted refused.</summary>
    public int MaxClients { get; init; } = 1024;
    /// <summary>Time a client has to finish its greeting/request (SOCKS5 negotiation, HTTP request head).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Time to open the connection through the tunnel (name resolution included).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Largest HTTP request head (request line and headers) read from a client.</summary>
    public int MaxHttpHeadBytes { get; init; } = 16 * 1024;
    /// <summary>UDP flows (client address, per UDP forward or SOCKS5 association) held at once.</summary>
    public int MaxUdpFlows { get; init; } = 1024;
    /// <summary>A UDP flow with no traffic this long is closed.</summary>
    public TimeSpan UdpFlowIdle { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What every service gets: the tunnel, the shared limits and counters, the logger.</summary>
internal sealed record ProxyContext(WireGuardNetwork Network, ProxyCredentials? Credentials, ProxyLimits Limits, ProxyCounters Counters, ILogger Logger);

/// <summary>A service could not start (port in use, address not ours...): <see cref="Exception.Message"/> is the one line the user sees.</summary>
internal sealed class ProxyStartException(string message, Exception? inner = null) : Exception(message, inner);
