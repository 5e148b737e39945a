using System.Net;

namespace WgSharp.Cli.Proxy;

/// <summary>
/// One running front-end service (a SOCKS5 or HTTP proxy, or a forward). <see cref="Start"/> binds its socket
/// synchronously (so the caller reports a port in use before printing "ready") and then serves in the background;
/// <see cref="IAsyncDisposable.DisposeAsync"/> stops accepting and closes every connection it holds.
/// </summary>
internal interface IProxyService : IAsyncDisposable
{
    /// <summary>What it was started from.</summary>
    ProxyServiceSpec Spec { get; }

    /// <summary>The bound address once started (the real port when the spec asked for port 0).</summary>
    IPEndPoint? LocalEndPoint { get; }

    /// <summary>Binds and starts serving; throws <see cref="ProxyStartException"/> with one clear line on failure.</summary>
    void Start();
}
