using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// A UDP port on our tunnel address forwarded to a service on this machine. Each peer address gets its own host UDP
/// socket connected to the service (so its replies find their way back), in a bounded flow table with idle expiry.
/// </summary>
internal sealed class RemoteUdpForward : IProxyService
{
    private readonly ProxyContext _context;
    private readonly ProxyServiceCounters _counters;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private UdpFlowTable<IPEndPoint>? _flows;
    private TunnelUdpSocket? _socket;
    private ITimer? _sweeper;
    private Task _receiving = Task.CompletedTask;
    private int _disposed;

    public RemoteUdpForward(ProxyServiceSpec spec, ProxyContext context)
    {
        Spec = spec;
        _context = context;
        _counters = context.Counters.For(spec);
        _target = RemoteTcpForward.LocalTarget(spec);
    }

    /// <inheritdoc/>
    public ProxyServiceSpec Spec { get; }

    /// <inheritdoc/>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The clock of the idle expiry (tests drive it).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The flow table (tests look at it and expire it).</summary>
    internal UdpFlowTable<IPEndPoint> Flows => _flows ?? throw new InvalidOperationException("not started");

    /// <inheritdoc/>
    public void Start()
    {
        if (_socket is not null) throw new InvalidOperationException("already started");
        var network = _context.Network;
        var socket = StartErrors.BindInTunnel(Spec.Listen, network.BindUdp, network.BindUdp);
        _socket = socket;
        LocalEndPoint = socket.LocalEndPoint;
        _flows = new UdpFlowTable<IPEndPoint>(_counters, _context.Limits.MaxUdpFlows, _context.Limits.UdpFlowIdle, Time);
        var period = UdpFlows.SweepPeriod(_context.Limits.UdpFlowIdle);
        _sweeper = Time.CreateTimer(_ => _flows.ExpireIdle(), null, period, period);
        _receiving = Task.Run(() => ReceiveLoopAsync(socket, _flows));
    }

    private async Task ReceiveLoopAsync(TunnelUdpSocket socket, UdpFlowTable<IPEndPoint> flows)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpFlows.MaxTunnelDatagram);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted)
            {
                continue; // an ICMP error for a reply we sent: the next datagram
            }
            catch (Exception)
            {
                return; // stopping, or the stack shut down
            }
            var peer = (IPEndPoint)received.RemoteEndPoint;
            if (!flows.TryGet(peer, out var found))
            {
                found = OpenFlow(socket, flows, peer);
                if (found is null) continue;
            }
            var flow = (Flow)found;
            try
            {
                await flow.Local.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, ct).ConfigureAwait(false);
                Interlocked.Add(ref _counters.BytesIn, received.ReceivedBytes);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // the service refused it (ICMP) or the flow just expired: dropped, as UDP may
            }
        }
    }

    private Flow? OpenFlow(TunnelUdpSocket socket, UdpFlowTable<IPEndPoint> flows, IPEndPoint peer)
    {
        if (flows.IsFull)
        {
            flows.CountRefused();
            _context.Logger.LogDebug("{Service}: new peer refused: {Limit} flows already", Spec, _context.Limits.MaxUdpFlows);
            return null;
        }
        var local = new Socket(_target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            local.Connect(_target); // only the service's datagrams come back on it
        }
        catch (SocketException e)
        {
            local.Dispose();
            flows.CountRefused();
            _context.Logger.LogDebug("{Service}: {Target}: {Reason}", Spec, _target, e.Message);
            return null;
        }
        var flow = new Flow(local, peer);
        if (!flows.TryAdd(peer, flow))
        {
            flow.Dispose();
            return null;
        }
        flow.Replies = Task.Run(() => RepliesAsync(socket, flows, flow));
        return flow;
    }

    /// <summary>Datagrams from the local service back to the peer, until the flow is closed.</summary>
    private async Task RepliesAsync(TunnelUdpSocket socket, UdpFlowTable<IPEndPoint> flows, Flow flow)
    {
        var ct = _stopping.Token;
        var buffer = GC.AllocateUninitializedArray<byte>(UdpFlows.MaxTunnelDatagram);
        while (!ct.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await flow.Local.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // nobody listens yet (ICMP), or a datagram larger than the tunnel carries
            }
            catch (Exception)
            {
                flows.Remove(flow.Peer, flow); // closed (expired, stopping)
                return;
            }
            flow.Touch(Time.GetTimestamp());
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, length), flow.Peer, ct).ConfigureAwait(false);
                Interlocked.Add(ref _counters.BytesOut, length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // too large for the tunnel, queue full, stopping: dropped
            }
        }
    }

    private sealed class Flow(Socket local, IPEndPoint peer) : UdpFlow
    {
        public Socket Local { get; } = local;
        public IPEndPoint Peer { get; } = peer;
        public override void Dispose() => Local.Dispose();
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
