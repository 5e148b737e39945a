using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// A TCP port on our tunnel address forwarded to a service on this machine: peers connect to it through the tunnel
/// and each connection gets its own host connection to the local service.
/// </summary>
internal sealed class RemoteTcpForward : IProxyService
{
    private readonly ProxyContext _context;
    private readonly ProxyServiceCounters _counters;
    private readonly ClientSet _clients;
    private readonly IPEndPoint _target;
    private TunnelListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _disposed;

    public RemoteTcpForward(ProxyServiceSpec spec, ProxyContext context)
    {
        Spec = spec;
        _context = context;
        _counters = context.Counters.For(spec);
        _clients = new ClientSet(_counters, context.Limits.MaxClients, clientsStartInHandshake: false);
        _target = LocalTarget(spec);
    }

    /// <inheritdoc/>
    public ProxyServiceSpec Spec { get; }

    /// <inheritdoc/>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The local service: a literal IP, or "localhost" (the loopback address; no resolver is asked).</summary>
    internal static IPEndPoint LocalTarget(ProxyServiceSpec spec)
    {
        var host = spec.TargetHost!;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, spec.TargetPort);
        var literal = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (!IPAddress.TryParse(literal, out var address)) throw new ProxyStartException($"{spec}: the local service must be an IP address or localhost");
        return new IPEndPoint(address, spec.TargetPort);
    }

    /// <inheritdoc/>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("already started");
        var network = _context.Network;
        _listener = StartErrors.BindInTunnel(Spec.Listen, port => network.Listen(port), endPoint => network.Listen(endPoint));
        LocalEndPoint = _listener.LocalEndPoint;
        var listener = _listener;
        _accepting = Task.Run(() => AcceptLoopAsync(listener));
    }

    private Task AcceptLoopAsync(TunnelListener listener) => AcceptLoop.RunAsync(_clients,
        ct => listener.AcceptAsync(ct),
        ServeGuardedAsync,
        peer =>
        {
            _context.Logger.LogDebug("{Service}: peer connection refused: {Limit} already", Spec, _context.Limits.MaxClients);
            peer.Abort();
        },
        _ => Task.FromResult(false)); // disposed, or the stack shut down

    private async Task ServeGuardedAsync(TunnelStream peer, ClientSlot slot)
    {
        var stopping = slot.Stopping; // no handshake: a peer's connection is never taken back
        IPEndPoint? remote = null;
        var local = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            remote = peer.RemoteEndPoint;
            peer.NoDelay = true;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                deadline.CancelAfter(_context.Limits.ConnectTimeout);
                try
                {
                    await local.ConnectAsync(_target, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _counters.Refused);
                    throw new ProxyClientException($"{_target}: {ClientErrors.Describe(e)}");
                }
            }
            await StreamRelay.RunAsync(local, peer, hostIsClient: false, _counters, ReadOnlyMemory<byte>.Empty, stopping).ConfigureAwait(false);
            await peer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            peer.Abort(); // the peer sees a reset, as it would from a refused local service
            if (!stopping.IsCancellationRequested)
                _context.Logger.LogDebug("{Service}: peer {Peer}: {Reason}", Spec, remote, ClientErrors.Describe(e));
        }
        finally
        {
            local.Dispose();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var stopping = _clients.StopAsync();
        _listener?.Dispose();
        await _accepting.ConfigureAwait(false);
        await stopping.ConfigureAwait(false);
    }
}
