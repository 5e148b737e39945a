using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// What both UDP forwards are: one socket clients send to, a flow per client address (its own socket on the other
/// side, so replies find their way back) in a bounded table with idle expiry, and datagrams relayed and counted both
/// ways. A datagram that cannot be sent is dropped, as UDP may. The subclasses say how each side binds, receives and
/// sends: <see cref="UdpForward"/> (host port to the tunnel) and <see cref="RemoteUdpForward"/> (tunnel port to the host).
/// </summary>
/// Per datagram nothing is allocated: the overrides pass the sockets' own ValueTasks through, or pool their state
/// machines (<see cref="System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder{TResult}"/>).
/// <typeparam name="TKey">A client's address as the client side's socket gives it.</typeparam>
/// <typeparam name="TFlow">A client's flow.</typeparam>
internal abstract class UdpForwardService<TKey, TFlow> : IProxyService where TKey : notnull where TFlow : UdpFlow
{
    private readonly CancellationTokenSource _stopping = new();
    private UdpFlowTable<TKey>? _flows;
    private ITimer? _sweeper;
    private Task _receiving = Task.CompletedTask;
    private int _disposed;

    protected UdpForwardService(ProxyServiceSpec spec, ProxyContext context)
    {
        Spec = spec;
        Context = context;
        Counters = context.Counters.For(spec);
    }

    /// <inheritdoc/>
    public ProxyServiceSpec Spec { get; }

    /// <inheritdoc/>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The clock of the idle expiry (tests drive it).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The flow table (tests look at it and expire it).</summary>
    internal UdpFlowTable<TKey> Flows => _flows ?? throw new InvalidOperationException("not started");

    /// <summary>The tunnel, limits and logger.</summary>
    protected ProxyContext Context { get; }

    /// <summary>This service's counters.</summary>
    protected ProxyServiceCounters Counters { get; }

    /// <summary>The largest datagram read from a client.</summary>
    protected abstract int ClientDatagramSize { get; }

    /// <summary>Binds the socket clients send to; its address. A refusal is a <see cref="ProxyStartException"/>.</summary>
    protected abstract IPEndPoint BindClientSide();

    /// <summary>Closes the clients' socket (a pending receive then ends).</summary>
    protected abstract void CloseClientSide();

    /// <summary>
    /// The next client datagram: its length (-1 for none, after an error that ends nothing) and its sender, which may
    /// be reused by the next receive. Throws once the socket is closed.
    /// </summary>
    protected abstract ValueTask<(int Length, TKey Client)> ReceiveFromClientAsync(Memory<byte> buffer, CancellationToken ct);

    /// <summary>A new flow for <paramref name="client"/> (keeping its own copy of the key), or null when it cannot be opened (the reason logged).</summary>
    protected abstract ValueTask<TFlow?> OpenFlowAsync(TKey client, CancellationToken ct);

    /// <summary>The key a flow was opened for.</summary>
    protected abstract TKey KeyOf(TFlow flow);

    /// <summary>Sends a client's datagram on through its flow.</summary>
    protected abstract ValueTask<int> SendToTargetAsync(TFlow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct);

    /// <summary>The next reply on a flow: its length, or -1 to skip it (an ICMP error, a sender that is not the target). Throws once the flow is closed.</summary>
    protected abstract ValueTask<int> ReceiveReplyAsync(TFlow flow, Memory<byte> buffer, CancellationToken ct);

    /// <summary>Sends a reply back to the flow's client.</summary>
    protected abstract ValueTask<int> SendToClientAsync(TFlow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct);

    /// <inheritdoc/>
    public void Start()
    {
        if (LocalEndPoint is not null) throw new InvalidOperationException("already started");
        LocalEndPoint = BindClientSide();
        var flows = _flows = new UdpFlowTable<TKey>(Counters, Context.Limits.MaxUdpFlows, Context.Limits.UdpFlowIdle, Time);
        var period = UdpFlows.SweepPeriod(Context.Limits.UdpFlowIdle);
        _sweeper = Time.CreateTimer(_ => flows.ExpireIdle(), null, period, period);
        _receiving = Task.Run(() => ReceiveLoopAsync(flows));
    }

    private async Task ReceiveLoopAsync(UdpFlowTable<TKey> flows)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(ClientDatagramSize);
        while (!ct.IsCancellationRequested)
        {
            int length;
            TKey client;
            try
            {
                (length, client) = await ReceiveFromClientAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return; // closed: stopping, or the stack shut down
            }
            if (length < 0) continue;
            if (!flows.TryGet(client, out var found))
            {
                var opened = await TryOpenFlowAsync(flows, client, ct).ConfigureAwait(false);
                if (opened is null) continue;
                found = opened;
            }
            try
            {
                await SendToTargetAsync((TFlow)found, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                Interlocked.Add(ref Counters.BytesIn, length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // too large, queue full, refused (ICMP), or the flow just expired: dropped
            }
        }
    }

    private async Task<TFlow?> TryOpenFlowAsync(UdpFlowTable<TKey> flows, TKey client, CancellationToken ct)
    {
        if (flows.IsFull)
        {
            flows.CountRefused();
            Context.Logger.LogDebug("{Service}: new client refused: {Limit} flows already", Spec, Context.Limits.MaxUdpFlows);
            return null;
        }
        TFlow? flow;
        try
        {
            flow = await OpenFlowAsync(client, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null; // stopping: the loop ends
        }
        if (flow is null)
        {
            flows.CountRefused();
            return null;
        }
        if (!flows.TryAdd(KeyOf(flow), flow))
        {
            flow.Dispose(); // counted refused by the table
            return null;
        }
        flow.Replies = Task.Run(() => RepliesAsync(flows, flow));
        return flow;
    }

    /// <summary>Replies back to the flow's client, until the flow is closed.</summary>
    private async Task RepliesAsync(UdpFlowTable<TKey> flows, TFlow flow)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpFlows.MaxTunnelDatagram);
        while (!ct.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await ReceiveReplyAsync(flow, buffer, ct).ConfigureAwait(false);
            }
            catch (Exception)
            {
                flows.Remove(KeyOf(flow), flow); // closed (expired, stopping) or the stack shut down
                return;
            }
            if (length < 0) continue;
            flow.Touch(Time.GetTimestamp());
            try
            {
                await SendToClientAsync(flow, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                Interlocked.Add(ref Counters.BytesOut, length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // the client is gone or its queue is full: dropped
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sweeper?.Dispose();
        CloseClientSide();
        await _receiving.ConfigureAwait(false);
        if (_flows is not null) await _flows.CloseAllAsync().ConfigureAwait(false);
    }
}
