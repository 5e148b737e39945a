using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Proxy.Relay;

namespace WgSharp.Cli.Proxy.Forward;

/// <summary>
/// A UDP port on our tunnel address forwarded to a service on this machine. Each peer address gets its own host UDP
/// socket connected to the service, so only the service's datagrams come back on it.
/// </summary>
internal sealed class RemoteUdpForward(ProxyServiceSpec spec, ProxyContext context) : UdpForwardService<IPEndPoint, RemoteUdpForward.Flow>(spec, context)
{
    private readonly IPEndPoint _target = RemoteTcpForward.LocalTarget(spec);
    private TunnelUdpSocket? _socket;

    protected override int ClientDatagramSize => UdpFlows.MaxTunnelDatagram;

    protected override IPEndPoint BindClientSide()
    {
        var network = Context.Network;
        _socket = StartErrors.BindInTunnel(Spec.Listen, network.BindUdp, network.BindUdp);
        return _socket.LocalEndPoint;
    }

    protected override void CloseClientSide() => _socket?.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<(int Length, IPEndPoint Client)> ReceiveFromClientAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            var received = await _socket!.ReceiveFromAsync(buffer, ct).ConfigureAwait(false);
            return (received.ReceivedBytes, (IPEndPoint)received.RemoteEndPoint);
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted)
        {
            return (-1, _target); // an ICMP error for a reply we sent: the next datagram
        }
    }

    protected override ValueTask<Flow?> OpenFlowAsync(IPEndPoint peer, CancellationToken ct)
    {
        var local = new Socket(_target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            local.Connect(_target);
        }
        catch (SocketException e)
        {
            local.Dispose();
            Context.Logger.LogDebug("{Service}: {Target}: {Reason}", Spec, _target, e.Message);
            return ValueTask.FromResult<Flow?>(null);
        }
        return ValueTask.FromResult<Flow?>(new Flow(local, peer));
    }

    protected override IPEndPoint KeyOf(Flow flow) => flow.Peer;

    protected override ValueTask<int> SendToTargetAsync(Flow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
        flow.Local.SendAsync(datagram, SocketFlags.None, ct);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReceiveReplyAsync(Flow flow, Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            return await flow.Local.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
        {
            return -1; // nobody listens yet (ICMP), or a datagram larger than the tunnel carries
        }
    }

    protected override ValueTask<int> SendToClientAsync(Flow flow, ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
        _socket!.SendToAsync(datagram, flow.Peer, ct);

    /// <summary>A peer's flow: its host socket connected to the local service, the peer's address in the tunnel.</summary>
    internal sealed class Flow(Socket local, IPEndPoint peer) : UdpFlow
    {
        public Socket Local { get; } = local;
        public IPEndPoint Peer { get; } = peer;
        public override void Dispose() => Local.Dispose();
    }
}
