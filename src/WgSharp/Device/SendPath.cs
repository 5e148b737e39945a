using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Protocol;
using WgSharp.Routing;

namespace WgSharp.Device;

// The outbound path: tunnel -> cryptokey routing -> counters reserved in order -> seal on the crypto pool ->
// in order: datagram transport; plus handshake initiations. One batch at a time: read, route each packet,
// then per run of consecutive packets to one peer reserve its counters and submit it to the peer's send
// queue; sealed runs leave in counter order, each in one call (one UDP GSO send on Linux). docs/pipeline.md.
// About 400 lines: staging, counter reservation and submission share the send lock's one invariant (counter order
// = queue order = wire order); split over two classes, that invariant would be spread over both.
internal sealed class SendPath : IOrderedWork<SendElement>
{
    private readonly ITunnel _tunnel;
    private readonly TransportSlot _transport;
    private readonly ProtocolEngine<Peer> _engine;
    private readonly AllowedIps<Peer> _allowedIps;
    private readonly DeviceCounters _counters;
    private readonly CryptoPool _crypto;
    private readonly DeviceClock _clock;
    private readonly InterfaceLog _log;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly Action _tunnelGone;
    private readonly BatchLeasePool _tunnelBatches;
    private readonly Recycler<SendElement> _sendElements = new(() => new SendElement());
    private readonly Recycler<List<StagedPacket>> _stagedLists = new(() => new List<StagedPacket>(Peer.MaxStagedPackets));
    private volatile int _mtu;

    /// <summary>The send path of one device: tunnelGone is called when the tunnel reader finds the interface deleted.</summary>
    public SendPath(ITunnel tunnel, TransportSlot transport, ProtocolEngine<Peer> engine, AllowedIps<Peer> allowedIps,
        DeviceCounters counters, CryptoPool crypto, DeviceClock clock, InterfaceLog log, CancellationToken stopping,
        Action tunnelGone)
    {
        _tunnel = tunnel;
        _transport = transport;
        _engine = engine;
        _allowedIps = allowedIps;
        _counters = counters;
        _crypto = crypto;
        _clock = clock;
        _log = log;
        _logger = log.Logger;
        _stopping = stopping;
        _tunnelGone = tunnelGone;
        _mtu = tunnel.Mtu;
        _tunnelBatches = new BatchLeasePool(Math.Max(1, tunnel.BatchSize));
    }

    /// <summary>The interface MTU; transport payloads are padded up to it, never beyond.</summary>
    public int Mtu
    {
        get => _mtu;
        set => _mtu = value;
    }

    /// <summary>The batches the tunnel reader fills (freed by the device once every thread has stopped).</summary>
    public BatchLeasePool TunnelBatches => _tunnelBatches;

    /// <summary>The tunnel reader's loop: read, route, submit per peer; returns when the tunnel closes or is gone.</summary>
    public void RunTunnelReader()
    {
        var routes = new Peer?[_tunnelBatches.Capacity];
        while (!_stopping.IsCancellationRequested)
        {
            var lease = _tunnelBatches.Rent();
            try
            {
                int n;
                try { n = _tunnel.Read(lease.Batch, _counters); }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    // The tunnel's own work on a packet (cutting a super-packet into segments) failed: that batch
                    // is lost, not the send path. A short pause keeps a failure that repeats from spinning a core.
                    CountSendPathFailure(e);
                    _stopping.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(1));
                    continue;
                }
                if (n < 0)
                {
                    if (!_stopping.IsCancellationRequested && !_tunnel.Exists) _tunnelGone();
                    return;
                }
                Route(lease.Batch, routes);
                SendRoutedBatch(lease, routes);
            }
            finally
            {
                lease.Release(); // the submitted runs hold their own references
                Array.Clear(routes); // hold no removed peer alive until the next batch
            }
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
                if (destination.IsEmpty) { _counters.CountMalformed(); continue; }
                // The segments of one super-packet share a destination: look it up once.
                var peer = !previous.IsEmpty && destination.SequenceEqual(previous) ? previousPeer : _allowedIps.Lookup(destination);
                routes[i] = previousPeer = peer;
                previous = destination;
                if (peer is null) _counters.CountNoRoute();
            }
            catch (Exception e)
            {
                previous = default;
                CountSendPathFailure(e);
            }
        }
    }

    /// <summary>Hands each run of consecutive packets to one peer to <see cref="SendRun"/>; a failing run costs only itself.</summary>
    private void SendRoutedBatch(BatchLease lease, Peer?[] routes)
    {
        var packets = lease.Batch;
        for (int first = 0; first < packets.Count;)
        {
            var peer = routes[first];
            int end = first + 1;
            while (end < packets.Count && ReferenceEquals(routes[end], peer)) end++;
            if (peer is not null)
            {
                try { SendRun(peer, lease, first, end); }
                catch (Exception e) { CountSendPathFailure(e); }
            }
            first = end;
        }
    }

    /// <summary>The send path never stops for one packet: what fails is counted and (with debug on) logged.</summary>
    private void CountSendPathFailure(Exception e)
    {
        _counters.CountSendError();
        if (_log.Debug) _logger.OutboundDropped(_log.Name, e.GetType().Name);
    }

    private enum SubmitOutcome { Submitted, NoSession, QueueFull }

    /// <summary>
    /// Submits packets [first, end) of the batch for one peer, behind whatever waits for a session. The tunnel
    /// reader would rather wait than drop: while the peer's send queue is full it waits for room, holding no lock
    /// (a receive-side delivery may need the send lock meanwhile). Without a session the packets are staged and
    /// a handshake starts.
    /// </summary>
    private void SendRun(Peer peer, BatchLease lease, int first, int end)
    {
        bool needsHandshake = false, staged = false;
        while (true)
        {
            SubmitOutcome outcome;
            bool handshake;
            using (peer.EnterSendOrder())
            {
                if (staged || peer.StagedCount > 0)
                {
                    if (!staged) StageRange(peer, lease.Batch, first, end); // behind the older ones: order
                    staged = true;
                    outcome = FlushStagedLocked(peer, out handshake);
                }
                else
                {
                    outcome = SubmitLocked(peer, lease, first, end - first, isKeepalive: false, out handshake);
                    if (outcome == SubmitOutcome.NoSession) StageRange(peer, lease.Batch, first, end);
                }
            }
            needsHandshake |= handshake;
            if (outcome != SubmitOutcome.QueueFull || _stopping.IsCancellationRequested || _crypto.IsDisposed) break;
            peer.SendQueue(_crypto, this).WaitForRoom();
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    private void StageRange(Peer peer, PacketBatch packets, int first, int end)
    {
        for (int i = first; i < end; i++)
            if (!peer.Stage(packets.Packet(i))) _counters.CountStagedDropped(peer, 1);
    }

    /// <summary>
    /// Reserves counters for slots [first, first + count) and submits them to the peer's send queue, in the order
    /// of the calls (the caller holds the peer's send lock: counter order = queue order = wire order). Never waits.
    /// needsHandshake: no session, or the session is due for a rekey.
    /// </summary>
    private SubmitOutcome SubmitLocked(Peer peer, BatchLease lease, int first, int count, bool isKeepalive, out bool needsHandshake)
    {
        needsHandshake = false;
        var queue = peer.SendQueue(_crypto, this);
        if (!queue.HasRoom) return SubmitOutcome.QueueFull;
        if (!peer.Protocol.TryReserveSend(count, _clock.Now, out var reservation, out needsHandshake)) return SubmitOutcome.NoSession;
        var element = _sendElements.Rent();
        element.Peer = peer;
        element.Lease = lease;
        element.First = first;
        element.Count = count;
        element.Reservation = reservation;
        element.IsKeepalive = isKeepalive;
        element.Mtu = _mtu;
        lease.AddReference();
        if (!queue.TrySubmit(element, element.Cost()))
        {
            // HasRoom held under the lock, so only a pool shutting down refuses: the packets are dropped.
            _counters.CountSendError(peer);
            ReleaseSendElement(element);
        }
        return SubmitOutcome.Submitted;
    }

    private void ReleaseSendElement(SendElement element)
    {
        element.Lease.Release();
        element.Clear();
        _sendElements.Return(element);
    }

    /// <summary>
    /// Sends one inner packet (empty = keepalive) to a peer, or stages it and starts a handshake when there is
    /// no session. Never waits for the send queue (it may run inside a delivery): when it is full the packet is
    /// dropped (a keepalive: the timers send another).
    /// </summary>
    public void SendPacket(Peer peer, ReadOnlySpan<byte> packet)
    {
        bool needsHandshake;
        using (peer.EnterSendOrder()) needsHandshake = SendPacketLocked(peer, packet);
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    private bool SendPacketLocked(Peer peer, ReadOnlySpan<byte> packet)
    {
        bool needsHandshake;
        if (peer.StagedCount > 0)
        {
            if (!peer.Stage(packet)) _counters.CountStagedDropped(peer, 1);
            FlushStagedLocked(peer, out needsHandshake);
            return needsHandshake;
        }
        var lease = _tunnelBatches.Rent();
        try
        {
            var batch = lease.Batch;
            packet.CopyTo(batch.PacketSpace(0));
            batch.Lengths[0] = packet.Length;
            batch.Count = 1;
            if (SubmitLocked(peer, lease, 0, 1, packet.IsEmpty, out needsHandshake) == SubmitOutcome.NoSession &&
                !peer.Stage(packet))
                _counters.CountStagedDropped(peer, 1);
        }
        finally { lease.Release(); }
        return needsHandshake;
    }

    /// <summary>
    /// Submits every staged packet, in order, ahead of anything newer (caller holds the peer's send lock). What cannot
    /// go now (no session, or the send queue is full) stays staged, in order. needsHandshake: no session or a rekey is due.
    /// </summary>
    private SubmitOutcome FlushStagedLocked(Peer peer, out bool needsHandshake)
    {
        var list = _stagedLists.Rent(); // pooled: any thread may flush (the tunnel reader, a delivery, the timers)
        peer.TakeStaged(list);
        needsHandshake = false;
        var outcome = SubmitOutcome.Submitted;
        int sent = 0;
        while (sent < list.Count)
        {
            var lease = _tunnelBatches.Rent();
            var batch = lease.Batch;
            int count = 0;
            for (; count < batch.Capacity && sent + count < list.Count; count++)
            {
                var packet = list[sent + count].Span;
                packet.CopyTo(batch.PacketSpace(count));
                batch.Lengths[count] = packet.Length;
            }
            batch.Count = count;
            outcome = SubmitLocked(peer, lease, 0, count, isKeepalive: false, out bool rekey);
            lease.Release();
            needsHandshake |= rekey;
            if (outcome != SubmitOutcome.Submitted) break;
            sent += count;
        }
        for (int i = 0; i < list.Count; i++)
        {
            if (i >= sent) peer.Stage(list[i].Span); // kept, in order, for the next session or the next try
            list[i].Return();
        }
        list.Clear();
        _stagedLists.Return(list);
        return outcome;
    }

    /// <summary>Sends what waited for a session; if nothing waited, a keepalive confirms the session to the responder.</summary>
    public void SendStagedOrKeepalive(Peer peer, bool keepaliveIfEmpty)
    {
        bool needsHandshake;
        using (peer.EnterSendOrder())
        {
            if (peer.StagedCount == 0)
            {
                if (!keepaliveIfEmpty) return;
                needsHandshake = SendPacketLocked(peer, ReadOnlySpan<byte>.Empty);
            }
            else FlushStagedLocked(peer, out needsHandshake);
        }
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
    }

    /// <summary>Sends a keepalive, or starts a handshake if there is no session to carry it.</summary>
    public void SendKeepalive(Peer peer) => SendPacket(peer, ReadOnlySpan<byte>.Empty);

    /// <summary>Seals a run in place on any thread (the crypto pool's work); it leaves in counter order by <see cref="Deliver"/>.</summary>
    public void Process(SendElement element)
    {
        var batch = element.Lease.Batch;
        var lengths = batch.Lengths;
        using var keys = Crypto.ChaChaPoly.KeepKeysForBatch(); // one key load per element, scrubbed at its end
        for (int i = 0; i < element.Count; i++)
        {
            int index = element.First + i;
            var slot = batch.Slot(index);
            // In place: the packet sits after the headroom, the datagram starts at the slot's first byte.
            // 0: the session was wiped meanwhile and nothing of this packet may leave.
            lengths[index] = element.Reservation.Seal(i, slot.Slice(PacketBatch.Headroom, lengths[index]), slot, element.Mtu);
        }
    }

    /// <summary>Sends a sealed run, in this peer's counter order.</summary>
    public void Deliver(SendElement element)
    {
        try { Transmit(element); }
        catch (Exception e) { CountSendPathFailure(e); }
        finally { ReleaseSendElement(element); }
    }

    /// <summary>A run that failed to seal, or met a shutdown: counted and dropped.</summary>
    public void Discard(SendElement element)
    {
        _counters.CountSendError(element.Peer);
        ReleaseSendElement(element);
    }

    /// <summary>Sends a sealed run to the peer's endpoint as it is now (roaming applies to queued packets too).</summary>
    private void Transmit(SendElement element)
    {
        var peer = element.Peer;
        if (peer.Removed) return;
        var datagrams = element.Lease.Batch;
        var lengths = datagrams.Lengths;
        var endpoint = peer.GetEndpoint(out var local);
        var sentFrom = local;
        int end = element.First + element.Count, bytes = 0, wiped = 0;
        bool failed = endpoint.IsEmpty;
        for (int first = element.First; first < end;)
        {
            if (lengths[first] == 0) { wiped++; first++; continue; }
            int next = first;
            while (next < end && lengths[next] != 0) bytes += lengths[next++];
            if (!failed && _transport.Current.Send(datagrams, first, next - first, endpoint, ref sentFrom) != SocketError.Success) failed = true;
            first = next;
        }
        if (sentFrom != local) peer.ForgetLocalAddress(endpoint, local); // it left the host: the route picks from now on
        if (wiped > 0) _counters.CountStagedDropped(peer, wiped);
        if (wiped == element.Count) return;
        if (failed) _counters.CountSendError(peer);
        else peer.AddTx(bytes);
        peer.Protocol.OnTransportSent(element.IsKeepalive, _clock.Now);
    }

    /// <summary>Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago.</summary>
    public void SendHandshakeInitiation(Peer peer, bool isRetry)
    {
        var endpoint = peer.GetEndpoint(out var local);
        if (endpoint.IsEmpty)
        {
            if (_log.Debug) _logger.InitiationWithoutEndpoint(_log.Name, peer.LogName);
            return;
        }
        Span<byte> message = stackalloc byte[Protocol.MessageLayout.InitiationSize];
        if (!peer.Protocol.TryCreateInitiation(_engine, _clock.Now, _engine.WallClock(), isRetry, message)) return;
        if (_log.Debug) _logger.SendingInitiation(_log.Name, peer.LogName);
        var sentFrom = local;
        var sent = _transport.Current.Send(message, endpoint, ref sentFrom);
        if (sentFrom != local) peer.ForgetLocalAddress(endpoint, local); // it left the host: the route picks from now on
        if (sent == SocketError.Success) _counters.CountHandshakeSent(peer, message.Length);
        else _counters.CountSendError(peer);
    }
}
