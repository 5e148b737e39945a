using WgSharp.Cli.Proxy.Forward;
using WgSharp.Cli.Proxy.Http;
using WgSharp.Cli.Proxy.Socks5;

namespace WgSharp.Cli.Proxy;

/// <summary>Creates the service a spec describes (not started).</summary>
internal static class ProxyServices
{
    /// <summary>
    /// The service for <paramref name="spec"/>; call <see cref="IProxyService.Start"/> to bind and serve. A spec that
    /// cannot work (a forward without a target, a remote forward to a name) is a <see cref="ProxyStartException"/>.
    /// </summary>
    public static IProxyService Create(ProxyServiceSpec spec, ProxyContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Kind is not (ProxyServiceKind.Socks5 or ProxyServiceKind.Http) && (spec.TargetHost is null || spec.TargetPort is < 1 or > 65535))
            throw new ProxyStartException($"{spec}: a forward needs a target host and a port from 1 to 65535");
        return spec.Kind switch
        {
            ProxyServiceKind.Socks5 => new Socks5Server(spec, context),
            ProxyServiceKind.Http => new HttpProxyServer(spec, context),
            ProxyServiceKind.TcpForward => new TcpForward(spec, context),
            ProxyServiceKind.UdpForward => new UdpForward(spec, context),
            ProxyServiceKind.RemoteTcpForward => new RemoteTcpForward(spec, context),
            ProxyServiceKind.RemoteUdpForward => new RemoteUdpForward(spec, context),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown service kind"),
        };
    }
}
