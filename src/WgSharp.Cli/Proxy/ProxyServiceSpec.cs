using System.Net;

namespace WgSharp.Cli.Proxy;

/// <summary>The kinds of front-end service `wgsharp proxy` and `wgsharp forward` run.</summary>
internal enum ProxyServiceKind
{
    /// <summary>A SOCKS5 server (RFC 1928) on a host socket: CONNECT and UDP ASSOCIATE into the tunnel.</summary>
    Socks5,
    /// <summary>An HTTP proxy on a host socket: CONNECT and absolute-URI forwarding into the tunnel.</summary>
    Http,
    /// <summary>A host TCP port forwarded to a host:port behind the tunnel.</summary>
    TcpForward,
    /// <summary>A host UDP port forwarded to a host:port behind the tunnel (a bounded flow table per client).</summary>
    UdpForward,
    /// <summary>A TCP port on our tunnel address forwarded to a service on this machine.</summary>
    RemoteTcpForward,
    /// <summary>A UDP port on our tunnel address forwarded to a service on this machine.</summary>
    RemoteUdpForward,
}

/// <summary>
/// One service to run, as the command line or CONF described it (parsed and validated by the front end).
/// <see cref="Listen"/> is a host socket address for Socks5/Http/TcpForward/UdpForward (loopback unless the user
/// gave an address), and the tunnel-side address for the Remote kinds (the unspecified address = every tunnel
/// address of that family). <see cref="TargetHost"/>/<see cref="TargetPort"/> are set for the forwards only: for
/// TcpForward/UdpForward a literal IP or a name resolved through the tunnel's DNS; for the Remote kinds a local
/// service (a literal IP, or "localhost").
/// </summary>
internal sealed record ProxyServiceSpec(ProxyServiceKind Kind, IPEndPoint Listen, string? TargetHost = null, int TargetPort = 0)
{
    /// <summary>How logs and metrics name the service, e.g. "socks5 127.0.0.1:1080" or "tcp 127.0.0.1:8080 -> db:5432".</summary>
    public override string ToString()
    {
        string kind = Kind switch
        {
            ProxyServiceKind.Socks5 => "socks5",
            ProxyServiceKind.Http => "http",
            ProxyServiceKind.TcpForward => "tcp",
            ProxyServiceKind.UdpForward => "udp",
            ProxyServiceKind.RemoteTcpForward => "remote-tcp",
            _ => "remote-udp",
        };
        return TargetHost is null ? $"{kind} {Listen}" : $"{kind} {Listen} -> {FormatHost(TargetHost)}:{TargetPort}";
    }

    private static string FormatHost(string host) => host.Contains(':') ? $"[{host}]" : host;
}
