namespace WgSharp.Cli.Proxy;

/// <summary>Creates the service a spec describes (not started).</summary>
internal static class ProxyServices
{
    public static IProxyService Create(ProxyServiceSpec spec, ProxyContext context) =>
        throw new NotImplementedException("proxy services are being written (issue 19)");
}
