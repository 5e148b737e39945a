using System.Net;
using System.Net.Sockets;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>A host TCP port forwarded to a host:port behind the tunnel: each client gets its own tunnel connection.</summary>
internal sealed class TcpForward(ProxyServiceSpec spec, ProxyContext context) : HostTcpService(spec, context, clientsSpeakFirst: false) // no handshake: clients keep their slots
{
    private readonly EndPoint _target = TunnelConnector.Target(spec.TargetHost!, spec.TargetPort);

    protected override async Task ServeClientAsync(Socket client, ClientSlot slot)
    {
        var stopping = slot.Stopping;
        TunnelStream tunnel;
        try
        {
            tunnel = await TunnelConnector.ConnectAsync(Context.Network, _target, Context.Limits.ConnectTimeout, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref Counters.Refused);
            throw new ProxyClientException($"{TunnelConnector.Describe(_target)}: {TargetFailures.Describe(TargetFailures.Classify(e))}");
        }
        await using (tunnel.ConfigureAwait(false))
        {
            try
            {
                await StreamRelay.RunAsync(client, tunnel, hostIsClient: true, Counters, ReadOnlyMemory<byte>.Empty, stopping).ConfigureAwait(false);
            }
            catch
            {
                tunnel.Abort();
                throw;
            }
        }
    }
}
