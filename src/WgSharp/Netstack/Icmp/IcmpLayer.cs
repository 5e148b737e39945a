using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Icmp;

/// <summary>
/// ICMP and ICMPv6: answers echo requests to our addresses (rate-limited), matches echo replies to pings, and hands
/// destination-unreachable / packet-too-big / time-exceeded errors to TCP and UDP as socket errors.
/// Why one class this long (about 450 lines): ICMP and ICMPv6 differ only in numbers, so both versions of each message
/// (echo, the errors, the rate limit) sit side by side instead of in two copies.
/// </summary>
internal sealed class IcmpLayer : IDisposable
{
    /// <summary>Pings waiting for a reply at once (each holds a table slot until answered, timed out or cancelled).</summary>
    public const int MaxOutstandingPings = 64;

    /// <summary>Echo replies per second (and burst): a peer cannot make us send more than this.</summary>
    public const int EchoRepliesPerSecond = 1000;

    /// <summary>ICMP errors (port unreachable) per second; burst <see cref="ErrorBurst"/>.</summary>
    public const int ErrorsPerSecond = 100;
    public const int ErrorBurst = 50;

    private const int HeaderLength = 8;
    // The most an ICMP error may be (RFC 1812 4.3.2.3 / RFC 4443 2.4(c)).
    private const int IPv4ErrorMaximum = 576;
    private const int IPv6ErrorMaximum = 1280;
    private const int MaxQuotedExtensionHeaders = 8;

    private readonly INetstackHost _host;
    private readonly IIcmpErrorSink _tcp;
    private readonly IIcmpErrorSink _udp;
    private readonly TokenBucket _echoBucket;
    private readonly TokenBucket _errorBucket;
    private readonly Lock _scratchLock = new();
    private byte[]? _scratch; // one reply built at a time, allocated on first use

    private readonly Lock _pingLock = new();
    private readonly PendingPing?[] _pings = new PendingPing?[MaxOutstandingPings];
    private readonly PingTimer _pingTimer;
    private readonly ushort _pingId = (ushort)Random.Shared.Next(1 << 16);
    private ushort _nextSequence;
    private bool _disposed;

    public IcmpLayer(INetstackHost host, IIcmpErrorSink tcp, IIcmpErrorSink udp)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _tcp = tcp;
        _udp = udp;
        long now = host.NowMs;
        _echoBucket = new TokenBucket(EchoRepliesPerSecond, EchoRepliesPerSecond, now);
        _errorBucket = new TokenBucket(ErrorsPerSecond, ErrorBurst, now);
        _pingTimer = new PingTimer(this);
    }

    /// <summary>The identifier of this stack's echo requests.</summary>
    internal ushort PingId => _pingId;

    /// <summary>The stack socket whose timer expires pings (for tests driving the clock).</summary>
    internal StackSocket PingTimerSocket => _pingTimer;

    /// <summary>An ICMP (IPv4) or ICMPv6 message for one of our addresses; verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip)
    {
        var message = ip.Payload;
        if (message.Length < HeaderLength || !ChecksumValid(ip, message))
        {
            _host.Counters.Increment(NetstackCounter.IcmpMalformed);
            return;
        }
        byte type = message[0], code = message[1];
        if (!ip.IsIPv6)
        {
            switch (type)
            {
                case 8: AnswerEcho(ip, replyType: 0); break;
                case 0: OnEchoReply(ip.Source, message); break;
                case 3: OnError(ip, message, DestinationUnreachableV4(code)); break;
                case 11: OnError(ip, message, new ErrorKind(SocketError.HostUnreachable, false, true)); break;
                default: break; // timestamps, redirects, source quench, ...: not used
            }
            return;
        }
        switch (type)
        {
            case 128: AnswerEcho(ip, replyType: 129); break;
            case 129: OnEchoReply(ip.Source, message); break;
            case 1: OnError(ip, message, DestinationUnreachableV6(code)); break;
            case 2: OnError(ip, message, new ErrorKind(SocketError.MessageSize, false, false)); break;
            case 3: OnError(ip, message, new ErrorKind(SocketError.HostUnreachable, false, true)); break;
            default: break; // neighbour discovery, MLD, ...: a tunnel has no link layer
        }
    }

    /// <summary>
    /// Sends an echo request with <paramref name="payloadSize"/> bytes from <paramref name="source"/> to <paramref name="destination"/>
    /// (ports ignored) and returns the round-trip time; TimedOut SocketException after <paramref name="timeout"/>,
    /// HostUnreachable/NetworkUnreachable from an ICMP error; OperationCanceledException on the token.
    /// </summary>
    public Task<TimeSpan> PingAsync(UdpEndpoint source, UdpEndpoint destination, int payloadSize, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadSize);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<TimeSpan>(cancellationToken);
        if (destination.IsEmpty) throw new SocketException((int)SocketError.AddressNotAvailable);
        // Source: the given address when it is one of ours and of the same family, else the interface's.
        var from = source;
        if (from.IsEmpty || from.IsIPv4 != destination.IsIPv4 || !_host.IsLocalAddress(from.AddressSpan))
        {
            if (!_host.TrySelectSource(destination, out from)) throw new SocketException((int)SocketError.NetworkUnreachable);
        }
        if (!_host.HasRoute(destination.AddressSpan)) throw new SocketException((int)SocketError.NetworkUnreachable);
        int ipHeader = IpPacketWriter.HeaderLength(destination.AddressSpan);
        int total = ipHeader + HeaderLength + payloadSize;
        if (total > _host.Mtu) throw new SocketException((int)SocketError.MessageSize);

        var pending = new PendingPing(UdpEndpoint.Create(destination.AddressSpan, 0));
        long now = _host.NowMs;
        long timeoutMs = (long)Math.Ceiling(Math.Max(0, timeout.TotalMilliseconds));
        lock (_pingLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int slot = Array.IndexOf(_pings, null);
            if (slot < 0) throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
            pending.Sequence = _nextSequence++;
            pending.SentAtMs = now;
            pending.DeadlineMs = now + timeoutMs;
            _pings[slot] = pending;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var packet = buffer.AsSpan(0, total);
            bool v6 = !destination.IsIPv4;
            IpPacketWriter.WriteHeader(packet, from.AddressSpan, destination.AddressSpan, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, HeaderLength + payloadSize);
            var message = packet[ipHeader..];
            message[0] = v6 ? (byte)128 : (byte)8;
            message[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(message[4..], _pingId);
            BinaryPrimitives.WriteUInt16BigEndian(message[6..], pending.Sequence);
            for (int i = 0; i < payloadSize; i++) message[HeaderLength + i] = (byte)i;
            WriteChecksum(message, v6, from.AddressSpan, destination.AddressSpan);
            if (!_host.TrySendPacket(packet))
            {
                Remove(pending);
                throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (cancellationToken.CanBeCanceled)
            pending.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (layer, ping) = ((IcmpLayer, PendingPing))state!;
                if (layer.Remove(ping)) ping.Completion.TrySetCanceled(token);
            }, (this, pending));
        // A reply that came before the registration existed could not dispose it.
        if (pending.Completion.Task.IsCompleted) pending.Cancellation.Dispose();
        _host.ScheduleTimer(_pingTimer, pending.DeadlineMs);
        return pending.Completion.Task;
    }

    /// <summary>Sends an ICMP(v6) destination unreachable / port unreachable quoting <paramref name="offending"/> (rate-limited; never in answer to an ICMP error, a multicast or broadcast).</summary>
    public void SendPortUnreachable(ReadOnlySpan<byte> offending)
    {
        if (IpPacketReader.TryRead(offending, out var ip) != IpReadResult.Ok) return;
        if (!MayAnswerWithError(ip)) return;
        if (!_errorBucket.TryTake(_host.NowMs))
        {
            _host.Counters.Increment(NetstackCounter.IcmpRateLimited);
            return;
        }
        bool v6 = ip.IsIPv6;
        int ipHeader = v6 ? IpPacketWriter.IPv6HeaderLength : IpPacketWriter.IPv4HeaderLength;
        int limit = Math.Min(v6 ? IPv6ErrorMaximum : IPv4ErrorMaximum, _host.Mtu);
        int quoted = Math.Min(ip.Packet.Length, limit - ipHeader - HeaderLength);
        if (quoted <= 0) return;
        int total = ipHeader + HeaderLength + quoted;
        lock (_scratchLock)
        {
            var packet = Scratch().AsSpan(0, total);
            IpPacketWriter.WriteHeader(packet, ip.Destination, ip.Source, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, HeaderLength + quoted);
            var message = packet[ipHeader..];
            message[0] = v6 ? (byte)1 : (byte)3;
            message[1] = v6 ? (byte)4 : (byte)3;
            message[4..HeaderLength].Clear(); // unused
            ip.Packet[..quoted].CopyTo(message[HeaderLength..]);
            WriteChecksum(message, v6, ip.Destination, ip.Source);
            if (_host.TrySendPacket(packet)) _host.Counters.Increment(NetstackCounter.IcmpErrorsSent);
        }
    }

    public void Dispose()
    {
        PendingPing?[] pings;
        lock (_pingLock)
        {
            if (_disposed) return;
            _disposed = true;
            pings = (PendingPing?[])_pings.Clone();
            Array.Clear(_pings);
        }
        foreach (var ping in pings) ping?.Fail(SocketError.OperationAborted);
    }

    // ---- echo ----

    private void AnswerEcho(in IpPacketInfo ip, byte replyType)
    {
        if (!_host.IsLocalAddress(ip.Destination) || !IsUnicast(ip.Source)) return;
        var request = ip.Payload;
        int ipHeader = ip.IsIPv6 ? IpPacketWriter.IPv6HeaderLength : IpPacketWriter.IPv4HeaderLength;
        int total = ipHeader + request.Length;
        if (total > _host.Mtu) return; // we do not fragment; the sender learns nothing, as from a lost reply
        if (!_echoBucket.TryTake(_host.NowMs))
        {
            _host.Counters.Increment(NetstackCounter.IcmpRateLimited);
            return;
        }
        lock (_scratchLock)
        {
            var packet = Scratch().AsSpan(0, total);
            IpPacketWriter.WriteHeader(packet, ip.Destination, ip.Source, ip.IsIPv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, request.Length);
            var message = packet[ipHeader..];
            request.CopyTo(message);
            message[0] = replyType;
            message[1] = 0;
            WriteChecksum(message, ip.IsIPv6, ip.Destination, ip.Source);
            if (_host.TrySendPacket(packet)) _host.Counters.Increment(NetstackCounter.IcmpEchoRequestsAnswered);
        }
    }

    private void OnEchoReply(ReadOnlySpan<byte> from, ReadOnlySpan<byte> message)
    {
        if (BinaryPrimitives.ReadUInt16BigEndian(message[4..]) != _pingId) return;
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        PendingPing? ping = TakePing(sequence, from);
        if (ping is null) return;
        ping.Cancellation.Dispose();
        ping.Completion.TrySetResult(TimeSpan.FromMilliseconds(Math.Max(0, _host.NowMs - ping.SentAtMs)));
    }

    private PendingPing? TakePing(ushort sequence, ReadOnlySpan<byte> destination)
    {
        lock (_pingLock)
        {
            for (int i = 0; i < _pings.Length; i++)
            {
                var ping = _pings[i];
                if (ping is null || ping.Sequence != sequence || !ping.Destination.AddressSpan.SequenceEqual(destination)) continue;
                _pings[i] = null;
                return ping;
            }
        }
        return null;
    }

    private bool Remove(PendingPing ping)
    {
        lock (_pingLock)
        {
            int slot = Array.IndexOf(_pings, ping);
            if (slot < 0) return false;
            _pings[slot] = null;
            return true;
        }
    }

    private void ExpirePings(long nowMs)
    {
        long next = long.MaxValue;
        PendingPing? expired = null; // chained through Next: no list allocated on the timer thread
        lock (_pingLock)
        {
            for (int i = 0; i < _pings.Length; i++)
            {
                var ping = _pings[i];
                if (ping is null) continue;
                if (ping.DeadlineMs <= nowMs)
                {
                    _pings[i] = null;
                    ping.Next = expired;
                    expired = ping;
                }
                else next = Math.Min(next, ping.DeadlineMs);
            }
        }
        for (var ping = expired; ping is not null; ping = ping.Next) ping.Fail(SocketError.TimedOut);
        if (next != long.MaxValue) _host.ScheduleTimer(_pingTimer, next);
    }

    // ---- errors ----

    private readonly record struct ErrorKind(SocketError Error, bool IsHard, bool Dispatch);

    private static ErrorKind DestinationUnreachableV4(byte code) => code switch
    {
        0 or 6 => new(SocketError.NetworkUnreachable, false, true),   // net unreachable / unknown
        1 or 7 => new(SocketError.HostUnreachable, false, true),      // host unreachable / unknown
        2 or 3 => new(SocketError.ConnectionRefused, true, true),     // protocol / port unreachable (RFC 1122 4.2.3.9)
        4 => new(SocketError.MessageSize, false, false),              // fragmentation needed: path MTU, not a failure
        9 or 10 or 13 => new(SocketError.HostUnreachable, true, true), // administratively prohibited
        _ => new(SocketError.HostUnreachable, false, true),
    };

    private static ErrorKind DestinationUnreachableV6(byte code) => code switch
    {
        0 => new(SocketError.NetworkUnreachable, false, true),  // no route
        1 => new(SocketError.HostUnreachable, true, true),      // administratively prohibited
        4 => new(SocketError.ConnectionRefused, true, true),    // port unreachable
        _ => new(SocketError.HostUnreachable, false, true),     // address unreachable, beyond scope, ...
    };

    private void OnError(in IpPacketInfo ip, ReadOnlySpan<byte> message, ErrorKind kind)
    {
        var quoted = message[HeaderLength..];
        if (!TryReadQuoted(quoted, ip.IsIPv6, out var source, out var destination, out byte protocol, out var transport)
            || !_host.IsLocalAddress(source))
        {
            _host.Counters.Increment(NetstackCounter.IcmpMalformed);
            return;
        }
        _host.Counters.Increment(NetstackCounter.IcmpErrorsReceived);
        if (!kind.Dispatch) return;
        switch (protocol)
        {
            case IpProtocol.Tcp: _tcp.OnIcmpError(source, destination, transport, kind.Error, kind.IsHard); break;
            case IpProtocol.Udp: _udp.OnIcmpError(source, destination, transport, kind.Error, kind.IsHard); break;
            case IpProtocol.Icmp or IpProtocol.Icmpv6: OnPingError(destination, transport, kind.Error); break;
            default: break;
        }
    }

    private void OnPingError(ReadOnlySpan<byte> destination, ReadOnlySpan<byte> quotedIcmp, SocketError error)
    {
        // Only an echo request of ours: the quoted type is a request, with our identifier.
        if (quotedIcmp[0] is not (8 or 128) || BinaryPrimitives.ReadUInt16BigEndian(quotedIcmp[4..]) != _pingId) return;
        var ping = TakePing(BinaryPrimitives.ReadUInt16BigEndian(quotedIcmp[6..]), destination);
        ping?.Fail(error == SocketError.ConnectionRefused ? SocketError.HostUnreachable : error);
    }

    /// <summary>
    /// Reads the IP header an ICMP error quotes (truncated: only the header and 8 transport bytes are sure): its
    /// addresses, protocol and the transport bytes. False when too short, of the other family, or a later fragment.
    /// </summary>
    internal static bool TryReadQuoted(ReadOnlySpan<byte> quoted, bool isIPv6, out ReadOnlySpan<byte> source, out ReadOnlySpan<byte> destination,
        out byte protocol, out ReadOnlySpan<byte> transport)
    {
        source = destination = transport = default;
        protocol = 0;
        if (!isIPv6)
        {
            if (quoted.Length < IpPacketWriter.IPv4HeaderLength || quoted[0] >> 4 != 4) return false;
            int headerLength = (quoted[0] & 0x0F) * 4;
            if (headerLength < IpPacketWriter.IPv4HeaderLength || quoted.Length < headerLength + 8) return false;
            if ((BinaryPrimitives.ReadUInt16BigEndian(quoted[6..]) & 0x1FFF) != 0) return false; // no transport header in it
            source = quoted.Slice(12, 4);
            destination = quoted.Slice(16, 4);
            protocol = quoted[9];
            transport = quoted[headerLength..];
            return true;
        }
        if (quoted.Length < IpPacketWriter.IPv6HeaderLength + 8 || quoted[0] >> 4 != 6) return false;
        byte next = quoted[6];
        int offset = IpPacketWriter.IPv6HeaderLength;
        for (int count = 0; next is 0 or 43 or 44 or 60; count++)
        {
            if (count >= MaxQuotedExtensionHeaders || quoted.Length - offset < 8) return false;
            if (next == 44)
            {
                if ((BinaryPrimitives.ReadUInt16BigEndian(quoted[(offset + 2)..]) & 0xFFF8) != 0) return false;
                next = quoted[offset];
                offset += 8;
                continue;
            }
            int length = (quoted[offset + 1] + 1) * 8;
            if (length > quoted.Length - offset) return false;
            next = quoted[offset];
            offset += length;
        }
        if (quoted.Length - offset < 8) return false;
        source = quoted.Slice(8, 16);
        destination = quoted.Slice(24, 16);
        protocol = next;
        transport = quoted[offset..];
        return true;
    }

    private static bool MayAnswerWithError(in IpPacketInfo ip)
    {
        if (!IsUnicast(ip.Source) || !IsUnicast(ip.Destination)) return false;
        if (ip.IsFragment && ip.FragmentOffset != 0) return false; // RFC 1122 3.2.2: only for the first fragment
        // Never an error about an error (RFC 1122 3.2.2, RFC 4443 2.4(e)); an unreadable ICMP header counts as one.
        if (!ip.IsIPv6 && ip.Protocol == IpProtocol.Icmp) return ip.Payload.Length > 0 && ip.Payload[0] is 0 or 8 or 13 or 14 or 15 or 16 or 17 or 18;
        if (ip.IsIPv6 && ip.Protocol == IpProtocol.Icmpv6) return ip.Payload.Length > 0 && ip.Payload[0] >= 128;
        return true;
    }

    /// <summary>Not unspecified, multicast or (IPv4) limited broadcast.</summary>
    private static bool IsUnicast(ReadOnlySpan<byte> address)
    {
        if (address.IndexOfAnyExcept((byte)0) < 0) return false;
        if (address.Length == 4) return address[0] < 224 && !address.SequenceEqual((ReadOnlySpan<byte>)[255, 255, 255, 255]);
        return address[0] != 0xFF;
    }

    // ---- checksums and buffers ----

    private static bool ChecksumValid(in IpPacketInfo ip, ReadOnlySpan<byte> message)
    {
        ulong sum = ip.IsIPv6 ? InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Icmpv6, message.Length) : 0;
        return InternetChecksum.Fold(InternetChecksum.Add(sum, message)) == 0xFFFF;
    }

    /// <summary>Fills the checksum of <paramref name="message"/> (ICMPv6: over the pseudo-header too; ICMPv4: the message only).</summary>
    internal static void WriteChecksum(Span<byte> message, bool isIPv6, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        message[2] = 0;
        message[3] = 0;
        ulong sum = isIPv6 ? InternetChecksum.PseudoHeader(source, destination, IpProtocol.Icmpv6, message.Length) : 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], InternetChecksum.Finish(InternetChecksum.Add(sum, message)));
    }

    private byte[] Scratch() => _scratch ??= new byte[PacketBatch.MaxPacketSize];

    private sealed class PendingPing(UdpEndpoint destination)
    {
        public readonly UdpEndpoint Destination = destination;
        public readonly TaskCompletionSource<TimeSpan> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ushort Sequence;
        public long SentAtMs;
        public long DeadlineMs;
        public CancellationTokenRegistration Cancellation;
        public PendingPing? Next;

        public void Fail(SocketError error)
        {
            Cancellation.Dispose();
            Completion.TrySetException(new SocketException((int)error));
        }
    }

    private sealed class PingTimer(IcmpLayer layer) : StackSocket
    {
        public override int Produce(Span<byte> packet, long nowMs) => 0;
        public override void OnTimer(long nowMs) => layer.ExpirePings(nowMs);
    }
}
