using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// A service that accepts TCP clients on a host socket (a proxy or a local port forward): binds in <see cref="Start"/>,
/// accepts on the thread pool, admits at most MaxClients at once, gives each one to <see cref="ServeClientAsync"/>
/// within a try that logs its failure at debug and closes the client, and stops them all on disposal.
/// </summary>
internal abstract class HostTcpService : IProxyService
{
    private const int Backlog = 512;

    private readonly ClientSet _clients;
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _disposed;

    /// <param name="spec">What to listen on and serve.</param>
    /// <param name="context">The tunnel, limits, credentials and logger.</param>
    /// <param name="clientsSpeakFirst">
    /// True when a client must send a handshake before it is served (a proxy): until it has, a full service may give its
    /// slot to a newcomer. A port forward serves at once and says false.
    /// </param>
    protected HostTcpService(ProxyServiceSpec spec, ProxyContext context, bool clientsSpeakFirst = true)
    {
        Spec = spec;
        Context = context;
        Counters = context.Counters.For(spec);
        _clients = new ClientSet(Counters, context.Limits.MaxClients, clientsSpeakFirst);
    }

    /// <inheritdoc/>
    public ProxyServiceSpec Spec { get; }

    /// <inheritdoc/>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The tunnel, limits, credentials and logger.</summary>
    protected ProxyContext Context { get; }

    /// <summary>This service's counters.</summary>
    protected ProxyServiceCounters Counters { get; }

    /// <summary>Clients being served now.</summary>
    internal int ClientCount => _clients.Count;

    /// <inheritdoc/>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("already started");
        var listener = new Socket(Spec.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(Spec.Listen);
            listener.Listen(Backlog);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw StartErrors.Bind(Spec.Listen, e);
        }
        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _accepting = Task.Run(() => AcceptLoopAsync(listener));
    }

    private Task AcceptLoopAsync(Socket listener) => AcceptLoop.RunAsync(_clients,
        ct => listener.AcceptAsync(ct),
        ServeGuardedAsync,
        client =>
        {
            Context.Logger.LogDebug("{Service}: client refused: {Limit} clients already", Spec, Context.Limits.MaxClients);
            client.Dispose();
        },
        async e =>
        {
            // At the descriptor limit (EMFILE) connections wait in the backlog: back off rather than spin.
            Context.Logger.LogDebug("{Service}: accept failed: {Reason}", Spec, e.Message);
            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            return true;
        });

    private async Task ServeGuardedAsync(Socket client, ClientSlot slot)
    {
        var stopping = slot.Stopping;
        EndPoint? remote = null;
        try
        {
            remote = client.RemoteEndPoint;
            client.NoDelay = true;
            await ServeClientAsync(client, slot).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!stopping.IsCancellationRequested)
                Context.Logger.LogDebug("{Service}: client {Client}: {Reason}", Spec, remote, ClientErrors.Describe(e));
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// Serves one client until it is done (<paramref name="slot"/>.Stopping: the service stops or the slot was taken
    /// back); exceptions are logged at debug by the caller, which closes the socket.
    /// </summary>
    protected abstract Task ServeClientAsync(Socket client, ClientSlot slot);

    /// <summary>
    /// The client's handshake phase: its token is cancelled after <see cref="ProxyLimits.HandshakeTimeout"/>, when the
    /// service stops, or when the service is full and a newcomer takes this (oldest handshaking) client's slot.
    /// </summary>
    protected ClientSlot.HandshakePhase HandshakeDeadline(ClientSlot slot) => slot.BeginHandshake(Context.Limits.HandshakeTimeout);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var stopping = _clients.StopAsync();
        _listener?.Dispose();
        await _accepting.ConfigureAwait(false);
        await stopping.ConfigureAwait(false); // the set admits no one once stopping: nothing can start after this
    }
}
