using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Protocol;

namespace WgSharp.Device;

// The inbound path: datagram transport -> (handshake queue | lookup -> open on the crypto pool -> in order:
// replay window, roaming, source check) -> tunnel. A receive (one UDP GRO read: one sender's run) becomes one
// element per peer in that peer's receive queue, so the tunnel can still merge consecutive TCP segments.
internal sealed partial class WireGuardDevice
{
    // Set on a receive reader thread while the tunnel holds back a run of TCP segments that this thread delivered
    // (see ReceiveWork.Deliver): the reader must flush it before it blocks.
    [ThreadStatic] private static bool t_tunnelHolds;
    [ThreadStatic] private static bool t_isReceiveReader;

    private void RoutineReceive(UdpFamily family)
    {
        t_isReceiveReader = true;
        var elements = new List<ReceiveElement>(_receiveBatches.Capacity);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var transport = _transport;
                var lease = _receiveBatches.Rent();
                int n;
                try { n = Receive(transport, family, lease.Batch); }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    // An error the transport does not expect (not a closed or replaced socket): losing the receive
                    // thread would leave a daemon that looks alive and hears nothing. Say so, wait a little (a
                    // failure that repeats must not flood the log or spin a core) and go on.
                    lease.Release();
                    _logger.ReceiveFailed(InterfaceName, e.Message);
                    _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                    continue;
                }
                if (n < 0)
                {
                    lease.Release();
                    if (_stopping.IsCancellationRequested) return;
                    // A replaced transport (port or wgrtable change) closes the old one: carry on with the new at once.
                    // Otherwise this family has no socket here (e.g. IPv6 off): look again after a while.
                    if (ReferenceEquals(transport, _transport)) _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                    continue;
                }
                GroupByPeer(lease, elements);
                foreach (var element in elements) Submit(element);
                elements.Clear();
            }
        }
        finally { FlushHeldRun(); }
    }

    /// <summary>
    /// Receives a batch. While the tunnel holds a run back for this reader, only what is already queued is taken
    /// (the rest of the sender's burst, to extend the run); when nothing is, the run is written first, then the
    /// reader blocks. So a held packet never waits for traffic that may not come.
    /// </summary>
    private int Receive(IDatagramTransport transport, UdpFamily family, PacketBatch batch)
    {
        if (t_tunnelHolds)
        {
            int n = transport.Receive(family, batch, wait: false);
            if (n != 0) return n;
            FlushHeldRun();
        }
        return transport.Receive(family, batch, wait: true);
    }

    private void FlushHeldRun()
    {
        if (!t_tunnelHolds) return;
        t_tunnelHolds = false;
        try { Tunnel.Flush(Counters); }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            Counters.CountSendError();
            if (_debug) _logger.TunnelWriteFailed(InterfaceName, 1, e.GetType().Name);
        }
    }

    /// <summary>
    /// Queues one peer's element for opening. A full queue makes the reader wait (as wireguard-go's receive path
    /// does): the backlog then stays in the socket's buffer, where the kernel drops as it would without us,
    /// instead of being dropped here after the kernel delivered it. Only a pool shutting down drops.
    /// </summary>
    private void Submit(ReceiveElement element)
    {
        var queue = element.Peer.ReceiveQueue(_crypto, _receiveWork);
        while (!queue.TrySubmit(element, element.Bytes))
        {
            if (_stopping.IsCancellationRequested || _crypto.IsDisposed)
            {
                Counters.CountReceiveQueueFull(element.Count);
                ReleaseReceiveElement(element);
                return;
            }
            queue.WaitForRoom();
        }
    }

    /// <summary>
    /// Looks up every transport datagram of a receive (which peer, keypair, counter) and groups consecutive
    /// datagrams of one peer into elements; handshake messages go to their queue. The first element keeps the
    /// received batch (the reader's reference passes to it); a later peer's datagrams are copied into a batch
    /// of their own, so each element writes its whole batch to the tunnel.
    /// </summary>
    private void GroupByPeer(BatchLease lease, List<ReceiveElement> elements)
    {
        var batch = lease.Batch;
        var now = Now;
        bool batchTaken = false;
        ReceiveElement? current = null;
        for (int i = 0; i < batch.Count; i++)
        {
            int length = batch.Lengths[i];
            batch.Lengths[i] = 0; // what goes to the tunnel is set again on delivery
            var from = batch.Endpoints[i];
            var local = batch.LocalAddresses[i];
            try
            {
                var datagram = batch.Slot(i)[..length];
                if (length < 4) { Counters.CountMalformed(); continue; }
                if ((MessageType)datagram[0] != MessageType.TransportData)
                {
                    QueueHandshakeMessage(datagram, from, local);
                    continue;
                }
                var result = Engine.LookupTransport(datagram, now, out ulong counter);
                if (!result.IsOk) { CountRejected(result.Reason, result.Peer?.Owner as Peer); continue; }
                var peer = (Peer)result.Peer!.Owner!;
                if (current is null || !ReferenceEquals(current.Peer, peer) || current.Count == current.Capacity)
                {
                    current = _receiveElements.Rent();
                    current.Peer = peer;
                    current.Lease = batchTaken ? _receiveBatches.Rent() : lease;
                    batchTaken = true;
                    elements.Add(current);
                }
                int slot = i;
                if (!ReferenceEquals(current.Lease, lease))
                {
                    slot = current.Count;
                    datagram.CopyTo(current.Lease.Batch.Slot(slot));
                    current.Lease.Batch.Endpoints[slot] = from;
                    current.Lease.Batch.LocalAddresses[slot] = local;
                    current.Lease.Batch.Count = slot + 1;
                }
                current.Add(slot, result.Keypair!, counter, length);
            }
            catch (Exception e)
            {
                // Untrusted bytes must never stop the receive loop.
                Counters.CountMalformed();
                if (_debug) _logger.DatagramDropped(InterfaceName, from, e.GetType().Name);
            }
        }
        if (!batchTaken) lease.Release();
    }

    private void QueueHandshakeMessage(ReadOnlySpan<byte> datagram, in UdpEndpoint from, in LocalAddress local)
    {
        if (MessageLayout.Classify(datagram, out _) == MessageType.None) { Counters.CountMalformed(); return; }
        var work = HandshakeWork.Rent(datagram, from, local);
        if (!_handshakeQueue.TryAdd(work)) { work.Return(); Counters.CountHandshakeQueueFull(); return; } // back to the pool: no garbage per dropped message
        StartHandshakeWorkerIfBusy();
    }

    private void CountRejected(RejectReason reason, Peer? peer)
    {
        switch (reason)
        {
            case RejectReason.ReplayedCounter: Counters.CountReplayed(peer); break;
            case RejectReason.UnknownReceiverIndex: Counters.CountUnknownIndex(); break;
            case RejectReason.DecryptFailed: Counters.CountDecryptFailed(peer); break;
            default: Counters.CountMalformed(); break;
        }
    }

    private void ReleaseReceiveElement(ReceiveElement element)
    {
        element.Lease.Release();
        element.Clear();
        _receiveElements.Return(element);
    }

    /// <summary>Opens on any thread; delivers in arrival order per peer (docs/pipeline.md).</summary>
    private sealed class ReceiveWork(WireGuardDevice device) : IOrderedWork<ReceiveElement>
    {
        /// <summary>Opens every datagram in place: the inner packet lands right after the header's 16 bytes (the slot's packet view).</summary>
        public void Process(ReceiveElement element)
        {
            var batch = element.Lease.Batch;
            using var keys = Crypto.ChaChaPoly.KeepKeysForBatch(); // one key load per element, scrubbed at its end
            for (int k = 0; k < element.Count; k++)
            {
                var slot = batch.Slot(element.Slots[k]);
                int length = element.Lengths[k];
                bool opened = element.Keypairs[k]!.Open(element.Counters[k], slot[MessageLayout.DataPayload..length], slot[MessageLayout.DataPayload..]);
                element.Lengths[k] = opened ? length - MessageLayout.MinTransportSize : -1;
            }
        }

        public void Deliver(ReceiveElement element)
        {
            try
            {
                var batch = element.Lease.Batch;
                var now = device.Now; // once per element: the timers need no finer grain than one receive
                for (int k = 0; k < element.Count; k++)
                {
                    int slot = element.Slots[k];
                    try { batch.Lengths[slot] = device.AcceptOpened(element.Peer, element.Keypairs[k]!, element.Counters[k], element.Lengths[k], batch.Slot(slot), batch.Endpoints[slot], batch.LocalAddresses[slot], now); }
                    catch (Exception e)
                    {
                        // Untrusted bytes must never stop the pipeline.
                        batch.Lengths[slot] = 0;
                        device.Counters.CountMalformed();
                        if (device._debug) device._logger.DatagramDropped(device.InterfaceName, batch.Endpoints[slot], e.GetType().Name);
                    }
                }
                // Only a reader that delivers everything itself may let the tunnel hold a run back: it flushes before
                // it blocks, and no other thread can deliver this peer's next packets in between (docs/pipeline.md).
                bool mayHold = t_isReceiveReader && device._crypto.WorkerCount == 0;
                try { t_tunnelHolds = device.Tunnel.Write(batch, device.Counters, mayHold); }
                catch (Exception e) when (!device._stopping.IsCancellationRequested)
                {
                    device.Counters.CountSendError();
                    if (device._debug) device._logger.TunnelWriteFailed(device.InterfaceName, element.Count, e.GetType().Name);
                }
            }
            finally { device.ReleaseReceiveElement(element); }
        }

        public void Discard(ReceiveElement element) => device.ReleaseReceiveElement(element);
    }

    /// <summary>
    /// The in-order part of receiving one opened datagram (held at the start of its slot): replay window,
    /// roaming, counters and timers, then the inner packet's checks. Returns the inner packet's length left
    /// for the tunnel (the slot's packet view), or 0.
    /// </summary>
    private int AcceptOpened(Peer peer, Protocol.Transport.Keypair keypair, ulong counter, int plaintextLength, Span<byte> slot, in UdpEndpoint from, in LocalAddress local, TimeSpan now)
    {
        if (plaintextLength < 0) { Counters.CountDecryptFailed(peer); return 0; }
        if (!keypair.AcceptCounter(counter)) { Counters.CountReplayed(peer); return 0; }
        peer.SetEndpoint(from, local); // roaming: follow the source of the last authenticated packet, reply from where it arrived
        peer.AddRx(plaintextLength + MessageLayout.MinTransportSize);
        bool isKeepalive = plaintextLength == 0;
        var (confirmed, needsHandshake) = peer.Protocol.OnTransportReceived(Engine, keypair, isKeepalive, now);
        if (confirmed) SendStagedOrKeepalive(peer, keepaliveIfEmpty: false);
        if (needsHandshake) SendHandshakeInitiation(peer, isRetry: false);
        if (isKeepalive)
        {
            if (_debug) _logger.ReceivingKeepalive(InterfaceName, peer.LogName);
            return 0;
        }

        var inner = slot.Slice(PacketBatch.Headroom, plaintextLength);
        if (!IpPacket.TryParseInbound(inner, out int length, out var source))
        {
            Counters.CountInvalidInner(peer);
            if (_debug) _logger.InvalidInnerPacket(InterfaceName, peer.LogName);
            return 0;
        }
        if (!ReferenceEquals(AllowedIps.Lookup(source), peer))
        {
            Counters.CountUnallowedSource(peer);
            if (_debug) _logger.UnallowedSource(InterfaceName, peer.LogName);
            return 0;
        }
        return length;
    }
}
