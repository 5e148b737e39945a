using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Device;

// The outbound path: tunnel -> cryptokey routing -> seal -> datagram transport, plus handshake initiations.
// One batch at a time: read, route each packet, then per run of consecutive packets to one peer seal them
// in place and send the run to the peer's endpoint in one call (one UDP GSO send on Linux).
public sealed partial class WireGuardDevice
{
    /// <summary>Largest datagram we build: a 64 KiB inner packet plus header and tag.</summary>
    private const int MaxDatagram = 65536 + 64;

    [ThreadStatic] private static byte[]? t_sendBuffer;

    private void RoutineReadFromTun()
    {
        using var packets = new PacketBatch(Math.Max(1, Tunnel.BatchSize));
        var routes = new Peer?[packets.Capacity];
        while (!_stopping.IsCancellationRequested)
        {
            int n = Tunnel.Read(packets, Counters);
            if (n < 0)
            {
                if (!_stopping.IsCancellationRequested && !Tunnel.Exists) OnInterfaceGone();
                return;
            }
            Route(packets, routes);
            SendRoutedBatch(packets, routes);
            Array.Clear(routes); // hold no removed peer alive until the next batch
        }
    }

    /// <summary>Finds each packet's peer by its destination (cryptokey routing); null for a packet that goes nowhere.</summary>
    private void Route(PacketBatch packets, Peer?[] routes)
    {
        ReadOnlySpan<byte> previous = default;
        Peer? previousPeer = null;
        for (int i = 0; i < packets.Count; i++)
        {
            routes[i] = null;
            try
            {
                var destination = IpPacket.Destination(packets.Packet(i));
                if (destination.IsEmpty) { Counters.CountMalformed(); continue; }
                // The segments of one super-packet share a destination: look it up once.
                var peer = !previous.IsEmpty && destination.SequenceEqual(previous) ? previousPeer : AllowedIps.Lookup(destination);
                routes[i] = previousPeer = peer;
                previous = destination;
                if (peer is null) Counters.CountNoRoute();
            }
            catch (Exception e)
            {
                previous = default;
                CountSendPathFailure(e);
            }
        }
    }

    /// <summary>Hands each run of consecutive packets to one peer to <see cref="SendRun"/>; a failing run costs only itself.</summary>
    private void SendRoutedBatch(PacketBatch packets, Peer?[] routes)
    {
        for (int first = 0; first < packets.Count;)
        {
            var peer = routes[first];
            int end = first + 1;
            while (end < packets.Count && ReferenceEquals(routes[end], peer)) end++;
            if (peer is not null)
            {
                try { SendRun(peer, packets, first, end); }
                catch (Exception e) { CountSendPathFailure(e); }
            }
            first = end;
        }
    }

    /// <summary>The send path never stops for one packet: what fails is counted and (with debug on) logged.</summary>
    private void CountSendPathFailure(Exception e)
    {
        Counters.CountSendError();
        Debug($"Dropped an outbound packet that could not be processed: {e.GetType().Name}");
    }

    /// <summary>
    /// Seals packets [first, end) of the batch for one peer in place, in order, and sends them to its endpoint
    /// in one call. Without a session (or once the session fails mid-way) the rest takes the ordinary path,
    /// which stages packets and starts a handshake.
    /// </summary>
    private void SendRun(Peer peer, PacketBatch packets, int first, int end)
    {
        int next = first;
        bool needsHandshake = false;
        lock (peer.SendLock)
        {
            if (peer.StagedCount == 0)
            {
                var now = Now;
                var lengths = packets.Lengths;
                for (; next < end; next++)
                {
                    var slot = packets.Slot(next);
                    var packet = slot.Slice(PacketBatch.Headroom, lengths[next]);
                    var status = peer.Protocol.Seal(packet, slot, now, _mtu, out int sealedLength, out bool rekey);
                    if (status != Protocol.SealStatus.Sealed)
                    {
                        // A session wiped while sealing also wiped the packet in place (an IP packet never starts with 0).
                        if (packet[0] == 0) { Counters.CountStagedDropped(peer, 1); next++; }
                        break;
                    }
                    peer.Protocol.OnTransportSent(false, now);
                    needsHandshake |= rekey;
                    lengths[next] = sealedLength; // the slot now holds the datagram
                }
                if (next > first) Transmit(peer, packets, first, next - first);
            }
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
        // Whatever could not be sealed now goes the ordinary way (staged until a session exists).
        for (; next < end; next++) SendPacket(peer, packets.Packet(next));
    }

    private void Transmit(Peer peer, PacketBatch datagrams, int first, int count)
    {
        var endpoint = peer.Endpoint;
        if (endpoint.IsEmpty || _transport.Send(datagrams, first, count, endpoint) != SocketError.Success)
        {
            Counters.CountSendError(peer);
            return;
        }
        int bytes = 0;
        for (int i = first; i < first + count; i++) bytes += datagrams.Lengths[i];
        peer.AddTx(bytes);
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
                if (!peer.Stage(packet)) Counters.CountStagedDropped(peer, 1);
                needsHandshake = !FlushStagedLocked(peer);
            }
            else
            {
                switch (SealAndSendLocked(peer, packet))
                {
                    case SendOutcome.NoSession:
                        if (!peer.Stage(packet)) Counters.CountStagedDropped(peer, 1);
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
        if (endpoint.IsEmpty || _transport.Send(buffer.AsSpan(0, length), endpoint) != SocketError.Success)
            Counters.CountSendError(peer);
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
        if (_transport.Send(message, endpoint) == SocketError.Success) Counters.CountHandshakeSent(peer, message.Length);
        else Counters.CountSendError(peer);
    }
}
