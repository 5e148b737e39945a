using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Protocol;

namespace WgSharp.Device;

// Handshake messages are handled off the data path by workers draining one bounded queue, so a flood of
// initiations (each costs Diffie-Hellman) queues here instead of stalling transport packets, and a burst of
// legitimate handshakes (a server restart with thousands of clients) uses every free core.
// ProtocolEngine.ProcessHandshake is safe to run in parallel: handshake state is per peer under its lock,
// the index table and the cookie checker are thread-safe, and the identity is read as one immutable object.
internal sealed partial class WireGuardDevice
{
    private int _handshakeWorkersStarted;

    /// <summary>At most one worker per core, as wireguard-go runs one handshake goroutine per CPU.</summary>
    private int MaxHandshakeWorkers => _options.HandshakeWorkers > 0 ? _options.HandshakeWorkers : Environment.ProcessorCount;

    /// <summary>
    /// Workers start on demand, so an idle interface has none: the first with the first handshake message, one
    /// more whenever a message finds another still waiting (every running worker is busy), up to the maximum.
    /// Called after a message is queued; costs a thread start at most that many times in the device's life.
    /// </summary>
    private void StartHandshakeWorkerIfBusy()
    {
        int started = Volatile.Read(ref _handshakeWorkersStarted);
        if (started >= MaxHandshakeWorkers || (started > 0 && _handshakeQueue.Count <= 1)) return;
        lock (_threads)
        {
            if (_handshakeWorkersStarted >= MaxHandshakeWorkers || _stopping.IsCancellationRequested) return;
            StartThread($"wg-handshake{_handshakeWorkersStarted}", RoutineHandshakes);
            Volatile.Write(ref _handshakeWorkersStarted, _handshakeWorkersStarted + 1);
        }
    }

    private readonly BlockingCollection<HandshakeWork> _handshakeQueue;

    /// <summary>Stopwatch timestamp until which we count as under load (the queue was an eighth full less than a second ago).</summary>
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
            if (_options.ForceUnderLoad) return true;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (_handshakeQueue.Count >= _options.HandshakeQueueCapacity / 8)
            {
                Volatile.Write(ref _underLoadUntil, now + System.Diagnostics.Stopwatch.Frequency);
                return true;
            }
            return Volatile.Read(ref _underLoadUntil) > now;
        }
    }

    private void RoutineHandshakes()
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
                Counters.CountMalformed();
                if (_debug) _logger.HandshakeDropped(InterfaceName, work.From, e.GetType().Name);
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
        var result = Engine.ProcessHandshake(message, source, Now, UnderLoad, reply);
        var peer = result.Peer?.Owner as Peer;
        switch (result.Outcome)
        {
            case HandshakeOutcome.Rejected when result.Reason == RejectReason.RateLimited:
                Counters.CountHandshakeRateLimited();
                if (_debug) _logger.HandshakeRateLimited(InterfaceName, from);
                return;
            case HandshakeOutcome.Rejected:
                Counters.CountHandshakeRejected();
                LogRejectedHandshake(type, result.Reason, from);
                return;
            case HandshakeOutcome.CookieReplyWritten:
                if (_debug) _logger.SendingCookie(InterfaceName, from);
                if (_transport.Send(reply[..result.ReplyLength], from, ref local) == SocketError.Success) Counters.CountCookieReplySent();
                return;
            case HandshakeOutcome.CookieConsumed:
                if (_debug) _logger.ReceivingCookie(InterfaceName, from);
                return;
            case HandshakeOutcome.ResponseWritten when peer is not null:
                if (_debug) _logger.ReceivingInitiation(InterfaceName, peer.LogName);
                Counters.CountHandshakeReceived(peer, message.Length);
                peer.SetEndpoint(from, local);
                if (_debug) _logger.SendingResponse(InterfaceName, peer.LogName);
                var sentFrom = local;
                var sent = _transport.Send(reply[..result.ReplyLength], from, ref sentFrom);
                if (sentFrom != local) peer.ForgetLocalAddress(from, local); // it left the host: the route picks from now on
                if (sent == SocketError.Success) Counters.CountHandshakeSent(peer, result.ReplyLength);
                else Counters.CountSendError(peer);
                return;
            case HandshakeOutcome.SessionEstablished when peer is not null:
                if (_debug) _logger.ReceivingResponse(InterfaceName, peer.LogName);
                Counters.CountHandshakeReceived(peer, message.Length);
                peer.SetEndpoint(from, local);
                SendStagedOrKeepalive(peer, keepaliveIfEmpty: true);
                return;
        }
    }

    private void LogRejectedHandshake(MessageType type, RejectReason reason, in UdpEndpoint from)
    {
        if (!_debug) return;
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
        _logger.HandshakeRejected(InterfaceName, message, from);
    }
}
