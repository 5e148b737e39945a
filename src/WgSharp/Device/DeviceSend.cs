using System.Net.Sockets;
using WgSharp.Device.Linux;

namespace WgSharp.Device;

// The outbound path: TUN -> cryptokey routing -> seal -> UDP, plus handshake initiations.
public sealed partial class WireGuardDevice
{
    /// <summary>Largest datagram we build: a 64 KiB inner packet plus header and tag.</summary>
    private const int MaxDatagram = 65536 + 64;

    [ThreadStatic] private static byte[]? t_sendBuffer;

    private void RoutineReadFromTun()
    {
        var packet = new byte[65536];
        var segment = new byte[65536];
        // With offloads the kernel hands over whole TCP send bursts (up to 64 KiB) and leaves checksums
        // to us: far fewer reads, and the segments go out in one UDP GSO send (see SendSegments).
        bool offloads = _options.Offloads && Tun.EnableOffloads();
        while (!_stopping.IsCancellationRequested)
        {
            int n = Tun.Read(packet, out var vnet);
            if (n < 0)
            {
                if (!_stopping.IsCancellationRequested && !Tun.Exists()) OnInterfaceGone();
                return;
            }
            var span = packet.AsSpan(0, n);
            var destination = IpPacket.Destination(span);
            if (destination.IsEmpty) { Counters.CountMalformed(); continue; }
            var peer = AllowedIps.Lookup(destination);
            if (peer is null) { Counters.CountNoRoute(); continue; }
            if (offloads && vnet.IsGso)
            {
                if (!TcpSegmenter.TryPlan(span, vnet, out int headerLength, out int segments)) { Counters.CountMalformed(); continue; }
                SendSegments(peer, span, vnet, headerLength, segments, segment);
                continue;
            }
            if (offloads && !TcpSegmenter.CompleteChecksum(span, vnet)) { Counters.CountMalformed(); continue; }
            SendPacket(peer, span);
        }
    }

    [ThreadStatic] private static byte[]? t_batchBuffer;

    /// <summary>
    /// Segments a TCP super-packet and sends the segments to one peer in order: sealed back to back
    /// into one buffer and handed to the kernel with as few UDP GSO sends as the size limits allow.
    /// Without a session (or once the session fails mid-way) the rest takes the ordinary path, which
    /// stages packets and starts a handshake.
    /// </summary>
    private void SendSegments(Peer peer, ReadOnlySpan<byte> packet, in VirtioNetHeader vnet, int headerLength, int segments, Span<byte> scratch)
    {
        int index = 0;
        bool needsHandshake = false;
        lock (peer.SendLock)
        {
            if (peer.StagedCount == 0)
            {
                var batch = t_batchBuffer ??= new byte[UdpTransport.MaxSegmentedBytes + MaxDatagram];
                var endpoint = peer.Endpoint;
                var now = Now;
                int used = 0, stride = 0, count = 0;
                for (; index < segments; index++)
                {
                    int length = TcpSegmenter.WriteSegment(packet, vnet, headerLength, segments, index, scratch);
                    var status = peer.Protocol.Seal(scratch[..length], batch.AsSpan(used), now, _mtu, out int sealedLength, out bool rekey);
                    if (status != Protocol.SealStatus.Sealed) break;
                    peer.Protocol.OnTransportSent(false, now);
                    needsHandshake |= rekey;
                    if (count > 0 && sealedLength > stride)
                    {
                        // Only the last datagram of a GSO run may differ (be shorter): start a new run.
                        FlushBatch(peer, batch.AsSpan(0, used), stride, endpoint);
                        batch.AsSpan(used, sealedLength).CopyTo(batch);
                        used = 0; count = 0;
                    }
                    if (count == 0) stride = sealedLength;
                    used += sealedLength;
                    count++;
                    if (sealedLength < stride || count == UdpTransport.MaxSegments || used + stride > UdpTransport.MaxSegmentedBytes)
                    {
                        FlushBatch(peer, batch.AsSpan(0, used), stride, endpoint);
                        used = 0; count = 0;
                    }
                }
                if (count > 0) FlushBatch(peer, batch.AsSpan(0, used), stride, endpoint);
            }
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
        // Whatever could not be sealed now goes the ordinary way (staged until a session exists).
        for (; index < segments; index++)
        {
            int length = TcpSegmenter.WriteSegment(packet, vnet, headerLength, segments, index, scratch);
            SendPacket(peer, scratch[..length]);
        }
    }

    private void FlushBatch(Peer peer, ReadOnlySpan<byte> datagrams, int stride, in UdpEndpoint endpoint)
    {
        if (endpoint.IsEmpty || Udp.TrySendSegments(datagrams, stride, endpoint) != SocketError.Success)
            Counters.CountSendError();
        else
            peer.AddTx(datagrams.Length);
    }

    /// <summary>
    /// Seals and sends one inner packet (empty = keepalive) to a peer, or stages it and starts a
    /// handshake when there is no session. Packets of one peer leave in the order they came.
    /// </summary>
    internal void SendPacket(Peer peer, ReadOnlySpan<byte> packet)
    {
        bool needsHandshake = false;
        lock (peer.SendLock)
        {
            if (peer.StagedCount > 0)
            {
                if (!peer.Stage(packet)) Counters.CountStagedDropped(1);
                needsHandshake = !FlushStagedLocked(peer);
            }
            else
            {
                switch (SealAndSendLocked(peer, packet))
                {
                    case SendOutcome.NoSession:
                        if (!peer.Stage(packet)) Counters.CountStagedDropped(1);
                        needsHandshake = true;
                        break;
                    case SendOutcome.SentNeedsRekey:
                        needsHandshake = true;
                        break;
                }
            }
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    private enum SendOutcome { Sent, SentNeedsRekey, NoSession }

    private SendOutcome SealAndSendLocked(Peer peer, ReadOnlySpan<byte> packet)
    {
        var buffer = t_sendBuffer ??= new byte[MaxDatagram];
        var now = Now;
        var status = peer.Protocol.Seal(packet, buffer, now, _mtu, out int length, out bool needsRekey);
        if (status != Protocol.SealStatus.Sealed) return SendOutcome.NoSession;
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty || Udp.TrySend(buffer.AsSpan(0, length), endpoint) != SocketError.Success)
            Counters.CountSendError();
        else
            peer.AddTx(length);
        peer.Protocol.OnTransportSent(packet.IsEmpty, now);
        return needsRekey ? SendOutcome.SentNeedsRekey : SendOutcome.Sent;
    }

    [ThreadStatic] private static List<StagedPacket>? t_staged;

    /// <summary>Sends every staged packet; true if they all went (a session exists). Caller holds peer.SendLock.</summary>
    private bool FlushStagedLocked(Peer peer)
    {
        var list = t_staged ??= new List<StagedPacket>(Peer.MaxStagedPackets);
        list.Clear();
        peer.TakeStaged(list);
        bool allSent = true;
        bool rekey = false;
        for (int i = 0; i < list.Count; i++)
        {
            var p = list[i];
            if (allSent)
            {
                var outcome = SealAndSendLocked(peer, p.Span);
                if (outcome == SendOutcome.NoSession)
                {
                    allSent = false;
                    peer.Stage(p.Span); // keep it, in order, for the next session
                }
                rekey |= outcome == SendOutcome.SentNeedsRekey;
            }
            else peer.Stage(p.Span);
            p.Return();
        }
        list.Clear();
        return allSent && !rekey;
    }

    /// <summary>Sends what waited for a session; if nothing waited, a keepalive confirms the session to the responder.</summary>
    private void SendStagedOrKeepalive(Peer peer, bool keepaliveIfEmpty)
    {
        bool needsHandshake;
        lock (peer.SendLock)
        {
            if (peer.StagedCount == 0)
            {
                if (!keepaliveIfEmpty) return;
                needsHandshake = SealAndSendLocked(peer, ReadOnlySpan<byte>.Empty) != SendOutcome.Sent;
            }
            else needsHandshake = !FlushStagedLocked(peer);
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    /// <summary>Sends a keepalive, or starts a handshake if there is no session to carry it.</summary>
    internal void SendKeepalive(Peer peer) => SendPacket(peer, ReadOnlySpan<byte>.Empty);

    /// <summary>Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago.</summary>
    internal void SendHandshakeInitiation(Peer peer, bool isRetry)
    {
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty)
        {
            Debug($"Handshake for {peer.LogName} not sent: no known endpoint");
            return;
        }
        Span<byte> message = stackalloc byte[Protocol.MessageLayout.InitiationSize];
        if (!peer.Protocol.TryCreateInitiation(Engine, Now, Engine.WallClock(), isRetry, message)) return;
        Debug($"Sending handshake initiation to {peer.LogName}");
        if (Udp.TrySend(message, endpoint) == SocketError.Success) peer.AddTx(message.Length);
        else Counters.CountSendError();
    }
}
