using System.Net;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>Being written.</summary>
internal sealed class RemoteUdpForward(ProxyServiceSpec spec, ProxyContext context) : IProxyService
{
    private readonly ProxyContext _context = context;
    public ProxyServiceSpec Spec { get; } = spec;
    public IPEndPoint? LocalEndPoint { get; }
    public void Start() => throw new ProxyStartException("not yet");
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
