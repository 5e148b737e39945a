using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WgSharp.Cli.Proxy.Socks5;

/// <summary>
/// One UDP ASSOCIATE (RFC 1928 §7): a host UDP socket for the client and a UDP socket in the tunnel, relaying datagrams
/// with the SOCKS5 header stripped on the way in and added on the way out. It accepts datagrams only from the client's
/// address (the control connection's; the port it named, or the first it sends from) and replies only there; fragments
/// (FRAG != 0) are dropped; names are resolved through the tunnel and cached. It ends when the control connection closes.
/// </summary>
internal sealed class Socks5UdpAssociation(Socks5Server server, Socket control, EndPoint? requested)
{
    private const int MaxDatagram = 16 * 1024; // the tunnel MTU bounds what can cross; one per direction per association
    private readonly Socks5DestinationCache _destinations = new(server.ServiceContext.Network, server.Time);
    private SocketAddress? _client;

    public async Task RunAsync(CancellationToken stopping)
    {
        var context = server.ServiceContext;
        var local = (IPEndPoint)control.LocalEndPoint!;
        var clientAddress = ((IPEndPoint)control.RemoteEndPoint!).Address;
        int clientPort = requested is IPEndPoint { Port: > 0 } named ? named.Port : 0;

        using var host = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        TunnelUdpSocket tunnel;
        try
        {
            host.Bind(new IPEndPoint(local.Address, 0));
            tunnel = context.Network.BindUdp(0);
        }
        catch (SocketException e)
        {
            await server.RefuseAsync(control, Socks5Protocol.ReplyGeneralFailure, $"UDP ASSOCIATE: {e.Message}").ConfigureAwait(false);
            return; // not reached
        }
        using (tunnel)
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            await Socks5Server.SendReplyAsync(control, Socks5Protocol.ReplySucceeded, (IPEndPoint)host.LocalEndPoint!, ended.Token).ConfigureAwait(false);
            var toTunnel = ClientToTunnelAsync(host, tunnel, clientAddress, clientPort, ended.Token);
            var toClient = TunnelToClientAsync(tunnel, host, ended.Token);
            try
            {
                await WatchControlAsync(ended.Token).ConfigureAwait(false);
            }
            finally
            {
                await ended.CancelAsync().ConfigureAwait(false);
                host.Dispose();
                tunnel.Dispose();
                await Task.WhenAll(Quietly(toTunnel), Quietly(toClient)).ConfigureAwait(false);
            }
            context.Logger.LogDebug("{Service}: UDP association of {Client} ended", server.Spec, control.RemoteEndPoint);
        }
    }

    private static async Task Quietly(Task task)
    {
        try { await task.ConfigureAwait(false); }
        catch (Exception) { /* ending: the sockets were closed under it */ }
    }

    /// <summary>Returns when the client closes the control connection (anything it sends there is ignored).</summary>
    private async Task WatchControlAsync(CancellationToken ct)
    {
        var scratch = new byte[256];
        while (await control.ReceiveAsync(scratch, SocketFlags.None, ct).ConfigureAwait(false) > 0) { }
    }

    private async Task ClientToTunnelAsync(Socket host, TunnelUdpSocket tunnel, IPAddress clientAddress, int clientPort, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        var from = new SocketAddress(host.AddressFamily);
        var counters = server.ServiceCounters;
        while (true)
        {
            int length = await host.ReceiveFromAsync(buffer, SocketFlags.None, from, ct).ConfigureAwait(false);
            if (!IsClient(from, clientAddress, clientPort)) continue;
            var parse = Socks5Protocol.ParseUdpHeader(buffer.AsSpan(0, length), out byte fragment, out var address, out int headerLength);
            if (parse != Socks5Parse.Complete || fragment != 0) continue; // malformed, or a fragment: dropped, as §7 allows
            var destination = await _destinations.ResolveAsync(buffer.AsMemory(0, length), address, ct).ConfigureAwait(false);
            if (destination is null) continue;
            try
            {
                await tunnel.SendToAsync(buffer.AsMemory(headerLength, length - headerLength), destination, ct).ConfigureAwait(false);
                Interlocked.Add(ref counters.BytesIn, length - headerLength);
            }
            catch (SocketException)
            {
                // too large, queue full, no route: UDP may drop, and this one is dropped
            }
        }
    }

    /// <summary>True for the client's datagrams; the first one accepted fixes the client's port when it named none.</summary>
    private bool IsClient(SocketAddress from, IPAddress clientAddress, int clientPort)
    {
        if (_client is not null) return from.Equals(_client);
        var endPoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var expected = clientAddress.IsIPv4MappedToIPv6 ? clientAddress.MapToIPv4() : clientAddress;
        if (!address.Equals(expected) || (clientPort != 0 && endPoint.Port != clientPort)) return false;
        var copy = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(copy.Buffer);
        _client = copy;
        return true;
    }

    private async Task TunnelToClientAsync(TunnelUdpSocket tunnel, Socket host, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram + Socks5Protocol.MaxReplyLength);
        var counters = server.ServiceCounters;
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await tunnel.ReceiveFromAsync(buffer.AsMemory(Socks5Protocol.MaxReplyLength, MaxDatagram), ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is not SocketError.OperationAborted)
            {
                continue; // an ICMP error for an earlier datagram: nothing to tell a UDP client
            }
            if (_client is not { } client) continue; // nowhere to send it yet
            int start = WriteHeader(buffer, (IPEndPoint)received.RemoteEndPoint);
            int end = Socks5Protocol.MaxReplyLength + received.ReceivedBytes;
            try
            {
                await host.SendToAsync(buffer.AsMemory(start, end - start), SocketFlags.None, client, ct).ConfigureAwait(false);
                Interlocked.Add(ref counters.BytesOut, received.ReceivedBytes);
            }
            catch (SocketException)
            {
                // the client's socket is gone or full: dropped
            }
        }
    }

    /// <summary>Writes the header just before the payload (which starts at MaxReplyLength); where the datagram starts.</summary>
    private static int WriteHeader(byte[] buffer, IPEndPoint source)
    {
        Span<byte> header = stackalloc byte[Socks5Protocol.MaxReplyLength];
        int length = Socks5Protocol.WriteUdpHeader(header, source);
        int start = Socks5Protocol.MaxReplyLength - length;
        header[..length].CopyTo(buffer.AsSpan(start));
        return start;
    }
}
