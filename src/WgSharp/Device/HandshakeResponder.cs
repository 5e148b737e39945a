using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Protocol;

namespace WgSharp.Device;

// Handshake messages are handled off the data path by workers draining one bounded queue, so a flood of
// initiations (each costs Diffie-Hellman) queues here instead of stalling transport packets, and a burst of
// legitimate handshakes (a server restart with thousands of clients) uses every free core.
// ProtocolEngine<Peer>.ProcessHandshake is safe to run in parallel: handshake state is per peer under its lock,
// the index table and the cookie checker are thread-safe, and the identity is read as one immutable object.
internal sealed class HandshakeResponder : IDisposable
{
    private readonly TransportSlot _transport;
    private readonly ProtocolEngine<Peer> _engine;
    private readonly DeviceCounters _counters;
    private readonly DeviceClock _clock;
    private readonly InterfaceLog _log;
    private readonly ILogger _logger;
    private readonly DeviceThreads _threads;
    private readonly SendPath _send;
    private readonly DeviceOptions _options;
    private readonly Lock _workersLock = new();
    private int _handshakeWorkersStarted;

    public HandshakeResponder(TransportSlot transport, ProtocolEngine<Peer> engine, DeviceCounters counters, DeviceClock clock,
        InterfaceLog log, DeviceThreads threads, SendPath send, DeviceOptions options)
    {
        _transport = transport;
        _engine = engine;
        _counters = counters;
        _clock = clock;
        _log = log;
        _logger = log.Logger;
        _threads = threads;
        _send = send;
        _options = options;
        _handshakeQueue = new BlockingCollection<HandshakeWork>(options.HandshakeQueueCapacity);
    }

    /// <summary>At most one worker per core, as wireguard-go runs one handshake goroutine per CPU.</summary>
    private int MaxHandshakeWorkers => _options.HandshakeWorkers > 0 ? _options.HandshakeWorkers : Environment.ProcessorCount;

    /// <summary>Queues a received handshake message (initiation, response or cookie reply) for a worker; drops it when the queue is full.</summary>
    public void Enqueue(ReadOnlySpan<byte> datagram, in UdpEndpoint from, in LocalAddress local)
    {
        if (MessageLayout.Classify(datagram, out _) == MessageType.None) { _counters.CountMalformed(); return; }
        var work = HandshakeWork.Rent(datagram, from, local);
        if (!_handshakeQueue.TryAdd(work)) { work.Return(); _counters.CountHandshakeQueueFull(); return; } // back to the pool: no garbage per dropped message
        StartHandshakeWorkerIfBusy();
    }

    /// <summary>Takes no more messages: the workers finish what is queued and end.</summary>
    public void Stop() => _handshakeQueue.CompleteAdding();

    /// <summary>Returns what is still queued to the pool (after the workers are gone).</summary>
    public void Dispose()
    {
        while (_handshakeQueue.TryTake(out var w)) w.Return();
        _handshakeQueue.Dispose();
    }

    /// <summary>
    /// Workers start on demand, so an idle interface has none: the first with the first handshake message, one
    /// more whenever a message finds another still waiting (every running worker is busy), up to the maximum.
    /// Called after a message is queued; costs a thread start at most that many times in the device's life.
    /// </summary>
    private void StartHandshakeWorkerIfBusy()
    {
        int started = Volatile.Read(ref _handshakeWorkersStarted);
        if (started >= MaxHandshakeWorkers || (started > 0 && _handshakeQueue.Count <= 1)) return;
        lock (_workersLock)
        {
            if (_handshakeWorkersStarted >= MaxHandshakeWorkers) return;
            if (!_threads.Start($"wg-handshake{_handshakeWorkersStarted}", RunWorker)) return;
            Volatile.Write(ref _handshakeWorkersStarted, _handshakeWorkersStarted + 1);
        }
    }

    private readonly BlockingCollection<HandshakeWork> _handshakeQueue;

    /// <summary>Timestamp (of the device clock's TimeProvider) until which we count as under load (the queue was an eighth full less than a second ago).</summary>
    private long _underLoadUntil;

    /// <summary>
    /// Under load once the queue is an eighth full, and for one second after (as wireguard-go): then
    /// initiations need a valid mac2 (cookie). Without the second of hysteresis a flood makes the device
    /// flip back to Diffie-Hellman for every forged initiation as soon as cheap cookie replies drained the queue.
    /// </summary>
    private bool UnderLoad
    {
        get
        {
            long now = _clock.Time.GetTimestamp();
            if (_handshakeQueue.Count >= _options.EffectiveUnderLoadQueueLength)
            {
                Volatile.Write(ref _underLoadUntil, now + _clock.Time.TimestampFrequency);
                return true;
            }
            return Volatile.Read(ref _underLoadUntil) > now;
        }
    }

    private void RunWorker()
    {
        var reply = new byte[MessageLayout.InitiationSize];
        Span<byte> source = stackalloc byte[18];
        foreach (var work in _handshakeQueue.GetConsumingEnumerable())
        {
            try
            {
                int sourceLength = WriteSourceAddress(work.From, source);
                HandleHandshake(work.Message, work.From, work.Local, source[..sourceLength], reply);
            }
            catch (Exception e)
            {
                _counters.CountMalformed();
                if (_log.Debug) _logger.HandshakeDropped(_log.Name, work.From, e.GetType().Name);
            }
            finally
            {
                work.Return();
            }
        }
    }

    /// <summary>The bytes a cookie is bound to: the sender's IP address then port.</summary>
    private static int WriteSourceAddress(in UdpEndpoint from, Span<byte> destination)
    {
        var address = from.AddressSpan;
        address.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[address.Length..], from.Port);
        return address.Length + 2;
    }

    private void HandleHandshake(ReadOnlySpan<byte> message, in UdpEndpoint from, LocalAddress local, ReadOnlySpan<byte> source, Span<byte> reply)
    {
        var type = (MessageType)message[0];
        var result = _engine.ProcessHandshake(message, source, _clock.Now, UnderLoad, reply);
        var peer = result.Peer?.Owner;
        switch (result.Outcome)
        {
            case HandshakeOutcome.Rejected when result.Reason == RejectReason.RateLimited:
                _counters.CountHandshakeRateLimited();
                if (_log.Debug) _logger.HandshakeRateLimited(_log.Name, from);
                return;
            case HandshakeOutcome.Rejected:
                _counters.CountHandshakeRejected();
                LogRejectedHandshake(type, result.Reason, from);
                return;
            case HandshakeOutcome.CookieReplyWritten:
                if (_log.Debug) _logger.SendingCookie(_log.Name, from);
                if (_transport.Current.Send(reply[..result.ReplyLength], from, ref local) == SocketError.Success) _counters.CountCookieReplySent();
                return;
            case HandshakeOutcome.CookieConsumed:
                if (_log.Debug) _logger.ReceivingCookie(_log.Name, from);
                return;
            case HandshakeOutcome.ResponseWritten when peer is not null:
                if (_log.Debug) _logger.ReceivingInitiation(_log.Name, peer.LogName);
                _counters.CountHandshakeReceived(peer, message.Length);
                peer.SetEndpoint(from, local);
                if (_log.Debug) _logger.SendingResponse(_log.Name, peer.LogName);
                var sentFrom = local;
                var sent = _transport.Current.Send(reply[..result.ReplyLength], from, ref sentFrom);
                if (sentFrom != local) peer.ForgetLocalAddress(from, local); // it left the host: the route picks from now on
                if (sent == SocketError.Success) _counters.CountHandshakeSent(peer, result.ReplyLength);
                else _counters.CountSendError(peer);
                return;
            case HandshakeOutcome.SessionEstablished when peer is not null:
                if (_log.Debug) _logger.ReceivingResponse(_log.Name, peer.LogName);
                _counters.CountHandshakeReceived(peer, message.Length);
                peer.SetEndpoint(from, local);
                _send.SendStagedOrKeepalive(peer, keepaliveIfEmpty: true);
                return;
        }
    }

    private void LogRejectedHandshake(MessageType type, RejectReason reason, in UdpEndpoint from)
    {
        if (!_log.Debug) return;
        // The manual's wording: a bad mac1 on an initiation means the sender has the wrong public
        // key for us; any other failure means we lack the right public key for the sender.
        string message = (type, reason) switch
        {
            (MessageType.HandshakeInitiation, RejectReason.BadMac1) => "Invalid initiation MAC",
            (MessageType.HandshakeInitiation, RejectReason.ReplayedTimestamp) => "Invalid handshake initiation (replayed timestamp)",
            (MessageType.HandshakeInitiation, RejectReason.FloodedInitiation) => "Invalid handshake initiation (flood)",
            (MessageType.HandshakeInitiation, _) => "Invalid handshake initiation",
            (MessageType.HandshakeResponse, RejectReason.BadMac1) => "Invalid response MAC",
            (MessageType.HandshakeResponse, _) => "Invalid handshake response",
            (MessageType.CookieReply, _) => "Invalid cookie response",
            _ => "Invalid handshake message",
        };
        _logger.HandshakeRejected(_log.Name, message, from);
    }
}
