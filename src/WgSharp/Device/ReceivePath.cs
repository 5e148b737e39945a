using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Protocol;
using WgSharp.Routing;

namespace WgSharp.Device;

// The inbound path: datagram transport -> (handshake queue | lookup -> open on the crypto pool -> in order:
// replay window, roaming, source check) -> tunnel. A receive (one UDP GRO read: one sender's run) becomes one
// element per peer in that peer's receive queue, so the tunnel can still merge consecutive TCP segments.
internal sealed class ReceivePath : IOrderedWork<ReceiveElement>
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
    private readonly SendPath _send;
    private readonly HandshakeResponder _handshakes;
    private readonly BatchLeasePool _receiveBatches;
    private readonly Recycler<ReceiveElement> _receiveElements;

    public ReceivePath(ITunnel tunnel, TransportSlot transport, ProtocolEngine<Peer> engine, AllowedIps<Peer> allowedIps,
        DeviceCounters counters, CryptoPool crypto, DeviceClock clock, InterfaceLog log, CancellationToken stopping,
        SendPath send, HandshakeResponder handshakes)
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
        _send = send;
        _handshakes = handshakes;
        _receiveBatches = new BatchLeasePool(Math.Max(1, transport.Current.BatchSize));
        _receiveElements = new Recycler<ReceiveElement>(() => new ReceiveElement(_receiveBatches.Capacity));
    }

    /// <summary>The batches the receive readers fill (freed by the device once every thread has stopped).</summary>
    public BatchLeasePool ReceiveBatches => _receiveBatches;

    /// <summary>A receive reader's loop for one address family; returns when the device stops.</summary>
    public void RunReader(UdpFamily family)
    {
        var reader = new ReceiveReader(Environment.CurrentManagedThreadId);
        var elements = new List<ReceiveElement>(_receiveBatches.Capacity);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var transport = _transport.Current;
                var lease = _receiveBatches.Rent();
                int n;
                try { n = Receive(reader, transport, family, lease.Batch); }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    // An error the transport does not expect (not a closed or replaced socket): losing the receive
                    // thread would leave a daemon that looks alive and hears nothing. Say so, wait a little (a
                    // failure that repeats must not flood the log or spin a core) and go on.
                    lease.Release();
                    _logger.ReceiveFailed(_log.Name, e.Message);
                    _stopping.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                    continue;
                }
                if (n < 0)
                {
                    lease.Release();
                    if (_stopping.IsCancellationRequested) return;
                    // A replaced transport (port or wgrtable change) closes the old one: carry on with the new at once.
                    // Otherwise this family has no socket here (e.g. IPv6 off): look again after a while.
                    if (ReferenceEquals(transport, _transport.Current)) _stopping.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                    continue;
                }
                GroupByPeer(lease, elements);
                foreach (var element in elements) Submit(element, reader);
                elements.Clear();
            }
        }
        finally { FlushHeldRun(reader); }
    }

    /// <summary>
    /// Receives a batch. While the tunnel holds a run back for this reader, only what is already queued is taken
    /// (the rest of the sender's burst, to extend the run); when nothing is, the run is written first, then the
    /// reader blocks. So a held packet never waits for traffic that may not come.
    /// </summary>
    private int Receive(ReceiveReader reader, IDatagramTransport transport, UdpFamily family, PacketBatch batch)
    {
        if (reader.TunnelHolds)
        {
            int n = transport.Receive(family, batch, wait: false);
            if (n != 0) return n;
            FlushHeldRun(reader);
        }
        return transport.Receive(family, batch, wait: true);
    }

    private void FlushHeldRun(ReceiveReader reader)
    {
        if (!reader.TunnelHolds) return;
        reader.TunnelHolds = false;
        try { _tunnel.Flush(_counters); }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            _counters.CountSendError();
            if (_log.Debug) _logger.TunnelWriteFailed(_log.Name, 1, e.GetType().Name);
        }
    }

    /// <summary>
    /// Queues one peer's element for opening. A full queue makes the reader wait (as wireguard-go's receive path
    /// does): the backlog then stays in the socket's buffer, where the kernel drops as it would without us,
    /// instead of being dropped here after the kernel delivered it. Only a pool shutting down drops.
    /// </summary>
    private void Submit(ReceiveElement element, ReceiveReader reader)
    {
        // Only without crypto workers is delivery inline on a reader: then the tunnel may hold a run for it.
        element.Reader = _crypto.WorkerCount == 0 ? reader : null;
        var queue = element.Peer.ReceiveQueue(_crypto, this);
        while (!queue.TrySubmit(element, element.Bytes))
        {
            if (_stopping.IsCancellationRequested || _crypto.IsDisposed)
            {
                _counters.CountReceiveQueueFull(element.Count);
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
        var now = _clock.Now;
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
                if (length < 4) { _counters.CountMalformed(); continue; }
                if ((MessageType)datagram[0] != MessageType.TransportData)
                {
                    _handshakes.Enqueue(datagram, from, local);
                    continue;
                }
                var result = _engine.LookupTransport(datagram, now, out ulong counter);
                if (!result.IsOk) { CountRejected(result.Reason, result.Peer?.Owner); continue; }
                var peer = result.Peer!.Owner;
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
                _counters.CountMalformed();
                if (_log.Debug) _logger.DatagramDropped(_log.Name, from, e.GetType().Name);
            }
        }
        if (!batchTaken) lease.Release();
    }

    private void CountRejected(RejectReason reason, Peer? peer)
    {
        switch (reason)
        {
            case RejectReason.ReplayedCounter: _counters.CountReplayed(peer); break;
            case RejectReason.UnknownReceiverIndex: _counters.CountUnknownIndex(); break;
            case RejectReason.DecryptFailed: _counters.CountDecryptFailed(peer); break;
            default: _counters.CountMalformed(); break;
        }
    }

    private void ReleaseReceiveElement(ReceiveElement element)
    {
        element.Lease.Release();
        element.Clear();
        _receiveElements.Return(element);
    }

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
            var now = _clock.Now; // once per element: the timers need no finer grain than one receive
            for (int k = 0; k < element.Count; k++)
            {
                int slot = element.Slots[k];
                try { batch.Lengths[slot] = AcceptOpened(element.Peer, element.Keypairs[k]!, element.Counters[k], element.Lengths[k], batch.Slot(slot), batch.Endpoints[slot], batch.LocalAddresses[slot], now); }
                catch (Exception e)
                {
                    // Untrusted bytes must never stop the pipeline.
                    batch.Lengths[slot] = 0;
                    _counters.CountMalformed();
                    if (_log.Debug) _logger.DatagramDropped(_log.Name, batch.Endpoints[slot], e.GetType().Name);
                }
            }
            // Only a reader that delivers everything itself may let the tunnel hold a run back: it flushes before
            // it blocks, and no other thread can deliver this peer's next packets in between (docs/pipeline.md).
            // The reader that submitted the element is named in it (only when there are no crypto workers).
            var reader = element.Reader;
            bool mayHold = reader is not null && reader.ThreadId == Environment.CurrentManagedThreadId;
            try
            {
                bool held = _tunnel.Write(batch, _counters, mayHold);
                if (mayHold) reader!.TunnelHolds = held;
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                _counters.CountSendError();
                if (_log.Debug) _logger.TunnelWriteFailed(_log.Name, element.Count, e.GetType().Name);
            }
        }
        finally { ReleaseReceiveElement(element); }
    }

    public void Discard(ReceiveElement element) => ReleaseReceiveElement(element);

    /// <summary>
    /// The in-order part of receiving one opened datagram (held at the start of its slot): replay window,
    /// roaming, counters and timers, then the inner packet's checks. Returns the inner packet's length left
    /// for the tunnel (the slot's packet view), or 0.
    /// </summary>
    private int AcceptOpened(Peer peer, Protocol.Transport.Keypair keypair, ulong counter, int plaintextLength, Span<byte> slot, in UdpEndpoint from, in LocalAddress local, TimeSpan now)
    {
        if (plaintextLength < 0) { _counters.CountDecryptFailed(peer); return 0; }
        if (!keypair.AcceptCounter(counter)) { _counters.CountReplayed(peer); return 0; }
        peer.SetEndpoint(from, local); // roaming: follow the source of the last authenticated packet, reply from where it arrived
        peer.AddRx(plaintextLength + MessageLayout.MinTransportSize);
        bool isKeepalive = plaintextLength == 0;
        var (confirmed, needsHandshake) = peer.Protocol.OnTransportReceived(_engine, keypair, isKeepalive, now);
        if (confirmed) _send.SendStagedOrKeepalive(peer, keepaliveIfEmpty: false);
        if (needsHandshake) _send.SendHandshakeInitiation(peer, isRetry: false);
        if (isKeepalive)
        {
            if (_log.Debug) _logger.ReceivingKeepalive(_log.Name, peer.LogName);
            return 0;
        }

        var inner = slot.Slice(PacketBatch.Headroom, plaintextLength);
        if (!IpPacket.TryParseInbound(inner, out int length, out var source))
        {
            _counters.CountInvalidInner(peer);
            if (_log.Debug) _logger.InvalidInnerPacket(_log.Name, peer.LogName);
            return 0;
        }
        if (!ReferenceEquals(_allowedIps.Lookup(source), peer))
        {
            _counters.CountUnallowedSource(peer);
            if (_log.Debug) _logger.UnallowedSource(_log.Name, peer.LogName);
            return 0;
        }
        return length;
    }
}

/// <summary>
/// One receive reader thread's state, handed to what it submits. Only its own thread may let the tunnel hold a
/// run back (see <see cref="ReceivePath.Deliver"/>), and that thread must then flush before it blocks.
/// </summary>
internal sealed class ReceiveReader(int threadId)
{
    public readonly int ThreadId = threadId;
    /// <summary>The tunnel holds back a run this reader delivered: flush it before blocking.</summary>
    public bool TunnelHolds;
}
