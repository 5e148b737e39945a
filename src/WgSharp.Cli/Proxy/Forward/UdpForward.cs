using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// A host UDP port forwarded to a host:port behind the tunnel. Each client address gets its own UDP socket in the
/// tunnel; replies are accepted only from the target. The target's name, if any, is resolved through the tunnel once
/// per flow.
/// </summary>
internal sealed class UdpForward(ProxyServiceSpec spec, ProxyContext context) : UdpForwardService<SocketAddress, UdpForward.Flow>(spec, context)
{
    private readonly EndPoint _target = TunnelConnector.Target(spec.TargetHost!, spec.TargetPort);
    private Socket? _socket;
    private SocketAddress? _from; // the sender of the latest datagram: one receive runs at a time

    protected override int ClientDatagramSize => UdpFlows.MaxDatagram;

    protected override IPEndPoint BindClientSide()
    {
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
        _from = new SocketAddress(socket.AddressFamily);
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    protected override void CloseClientSide() => _socket?.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<(int Length, SocketAddress Client)> ReceiveFromClientAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            return (await _socket!.ReceiveFromAsync(buffer, SocketFlags.None, _from!, ct).ConfigureAwait(false), _from!);
        }
        catch (SocketException e) when (!ct.IsCancellationRequested && e.SocketErrorCode != SocketError.OperationAborted)
        {
            return (-1, _from!); // a datagram too large, an ICMP error: the next one
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<Flow?> OpenFlowAsync(SocketAddress from, CancellationToken ct)
    {
        var client = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(client.Buffer);
        try
        {
            var target = await UdpFlows.ResolveAsync(Context, _target, ct).ConfigureAwait(false);
            return new Flow(Context.Network.BindUdp(0), target, client);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Context.Logger.LogDebug("{Service}: {Target}: {Reason}", Spec, TunnelConnector.Describe(_target), ClientErrors.Describe(e));
            return null;
        }
    }

    protected override SocketAddress KeyOf(Flow flow) => flow.Client;

    protected override ValueTask<int> SendToTargetAsync(Flow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
        flow.Tunnel.SendToAsync(datagram, flow.Target, ct);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReceiveReplyAsync(Flow flow, Memory<byte> buffer, CancellationToken ct)
    {
        SocketReceiveFromResult received;
        try
        {
            received = await flow.Tunnel.ReceiveFromAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted)
        {
            return -1; // an ICMP error for an earlier datagram: nothing to tell a UDP client
        }
        return flow.Target.Equals(received.RemoteEndPoint) ? received.ReceivedBytes : -1; // only the target may answer
    }

    protected override ValueTask<int> SendToClientAsync(Flow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
        _socket!.SendToAsync(datagram, SocketFlags.None, flow.Client, ct);

    /// <summary>A client's flow: its socket in the tunnel, the target (resolved), the client's address.</summary>
    internal sealed class Flow(TunnelUdpSocket tunnel, IPEndPoint target, SocketAddress client) : UdpFlow
    {
        public TunnelUdpSocket Tunnel { get; } = tunnel;
        public IPEndPoint Target { get; } = target;
        public SocketAddress Client { get; } = client;
        public override void Dispose() => Tunnel.Dispose();
    }
}
