using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// A host UDP port forwarded to a host:port behind the tunnel. Each client address gets its own UDP socket in the
/// tunnel (so replies find their way back), in a bounded flow table with idle expiry; replies are accepted only from
/// the target. The target's name, if any, is resolved through the tunnel once per flow.
/// </summary>
internal sealed class UdpForward : IProxyService
{
    private readonly ProxyContext _context;
    private readonly ProxyServiceCounters _counters;
    private readonly EndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private UdpFlowTable<SocketAddress>? _flows;
    private Socket? _socket;
    private ITimer? _sweeper;
    private Task _receiving = Task.CompletedTask;
    private int _disposed;

    public UdpForward(ProxyServiceSpec spec, ProxyContext context)
    {
        Spec = spec;
        _context = context;
        _counters = context.Counters.For(spec);
        _target = TunnelConnector.Target(spec.TargetHost!, spec.TargetPort);
    }

    /// <inheritdoc/>
    public ProxyServiceSpec Spec { get; }

    /// <inheritdoc/>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The clock of the idle expiry (tests drive it).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The flow table (tests look at it and expire it).</summary>
    internal UdpFlowTable<SocketAddress> Flows => _flows ?? throw new InvalidOperationException("not started");

    /// <inheritdoc/>
    public void Start()
    {
        if (_socket is not null) throw new InvalidOperationException("already started");
        var socket = new Socket(Spec.Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(Spec.Listen);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw StartErrors.Bind(Spec.Listen, e);
        }
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _flows = new UdpFlowTable<SocketAddress>(_counters, _context.Limits.MaxUdpFlows, _context.Limits.UdpFlowIdle, Time);
        var period = UdpFlows.SweepPeriod(_context.Limits.UdpFlowIdle);
        _sweeper = Time.CreateTimer(_ => _flows.ExpireIdle(), null, period, period);
        _receiving = Task.Run(() => ReceiveLoopAsync(socket, _flows));
    }

    private async Task ReceiveLoopAsync(Socket socket, UdpFlowTable<SocketAddress> flows)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpFlows.MaxDatagram);
        var from = new SocketAddress(socket.AddressFamily);
        while (!ct.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (ct.IsCancellationRequested) return;
                continue; // a datagram too large, an ICMP error: the next one
            }
            if (!flows.TryGet(from, out var found))
            {
                found = await OpenFlowAsync(socket, flows, from, ct).ConfigureAwait(false);
                if (found is null) continue;
            }
            var flow = (Flow)found;
            try
            {
                await flow.Tunnel.SendToAsync(buffer.AsMemory(0, length), flow.Target, ct).ConfigureAwait(false);
                Interlocked.Add(ref _counters.BytesIn, length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // too large for the tunnel, queue full, or the flow just expired: dropped, as UDP may
            }
        }
    }

    private async Task<Flow?> OpenFlowAsync(Socket socket, UdpFlowTable<SocketAddress> flows, SocketAddress from, CancellationToken ct)
    {
        if (flows.IsFull)
        {
            flows.CountRefused();
            _context.Logger.LogDebug("{Service}: new client refused: {Limit} flows already", Spec, _context.Limits.MaxUdpFlows);
            return null;
        }
        var client = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(client.Buffer);
        IPEndPoint target;
        TunnelUdpSocket tunnel;
        try
        {
            target = await UdpFlows.ResolveAsync(_context, _target, ct).ConfigureAwait(false);
            tunnel = _context.Network.BindUdp(0);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            flows.CountRefused();
            _context.Logger.LogDebug("{Service}: {Target}: {Reason}", Spec, TunnelConnector.Describe(_target), ClientErrors.Describe(e));
            return null;
        }
        var flow = new Flow(tunnel, target, client);
        if (!flows.TryAdd(client, flow))
        {
            flow.Dispose();
            return null;
        }
        flow.Replies = Task.Run(() => RepliesAsync(socket, flows, flow));
        return flow;
    }

    /// <summary>Datagrams from the target back to the client, until the flow is closed.</summary>
    private async Task RepliesAsync(Socket socket, UdpFlowTable<SocketAddress> flows, Flow flow)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpFlows.MaxTunnelDatagram);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await flow.Tunnel.ReceiveFromAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted)
            {
                continue; // an ICMP error for an earlier datagram: nothing to tell a UDP client
            }
            catch (Exception)
            {
                flows.Remove(flow.Client, flow); // closed (expired, stopping) or the stack shut down
                return;
            }
            if (!flow.Target.Equals(received.RemoteEndPoint)) continue; // only the target may answer through this flow
            flow.Touch(Time.GetTimestamp());
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, flow.Client, ct).ConfigureAwait(false);
                Interlocked.Add(ref _counters.BytesOut, received.ReceivedBytes);
            }
            catch (SocketException)
            {
                // the client's socket is gone or full: dropped
            }
        }
    }

    private sealed class Flow(TunnelUdpSocket tunnel, IPEndPoint target, SocketAddress client) : UdpFlow
    {
        public TunnelUdpSocket Tunnel { get; } = tunnel;
        public IPEndPoint Target { get; } = target;
        public SocketAddress Client { get; } = client;
        public override void Dispose() => Tunnel.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sweeper?.Dispose();
        _socket?.Dispose();
        await _receiving.ConfigureAwait(false);
        if (_flows is not null) await _flows.CloseAllAsync().ConfigureAwait(false);
    }
}
