using WgSharp.Device.IO;

namespace WgSharp.Netstack;

/// <summary>What the protocol layers (TCP, UDP, ICMP) need from the stack core.</summary>
internal interface INetstackHost
{
    /// <summary>Monotonic milliseconds (the clock every layer uses; tests drive their own).</summary>
    long NowMs { get; }

    /// <summary>The tunnel MTU: the largest IP packet <see cref="StackSocket.Produce"/> may write.</summary>
    int Mtu { get; }

    /// <summary>The stack's drop and event counters.</summary>
    NetstackCounters Counters { get; }

    /// <summary>
    /// <paramref name="socket"/> has packets to send: the reader thread will call its <see cref="StackSocket.Produce"/>.
    /// Cheap and idempotent while the socket is queued; any thread. During an input burst the request takes effect at
    /// the burst's end (one ACK for the burst's segments, as a receiver with GRO sends).
    /// </summary>
    void RequestOutput(StackSocket socket);

    /// <summary>
    /// When the calling thread is delivering a burst of input packets: true, and <paramref name="socket"/>'s
    /// <see cref="StackSocket.OnBurstEnd"/> runs once at its end (so a reader waiting for data wakes once per burst, not
    /// per segment). False otherwise: the caller wakes its users at once.
    /// </summary>
    bool DeferWake(StackSocket socket) => false;

    /// <summary>
    /// Calls <paramref name="socket"/>'s <see cref="StackSocket.OnTimer"/> at or after <paramref name="deadlineMs"/>. A
    /// deadline later than one already scheduled is ignored (the earlier call comes first; the socket then schedules
    /// again): so re-arming a timer later costs nothing. Any thread.
    /// </summary>
    void ScheduleTimer(StackSocket socket, long deadlineMs);

    /// <summary>
    /// Queues one self-contained IP packet (an RST to a closed port, an ICMP reply or error), copying it; false (and
    /// counted as <see cref="NetstackCounter.OutputQueueFull"/>) when the bounded queue is full. Any thread.
    /// </summary>
    bool TrySendPacket(ReadOnlySpan<byte> packet);

    /// <summary>Whether <paramref name="address"/> (4 or 16 bytes) is one of the interface's addresses.</summary>
    bool IsLocalAddress(ReadOnlySpan<byte> address);

    /// <summary>
    /// The interface address to send from to <paramref name="destination"/> (its family; port 0); false when the
    /// interface has no address of that family (the caller fails with NetworkUnreachable).
    /// </summary>
    bool TrySelectSource(in UdpEndpoint destination, out UdpEndpoint source);

    /// <summary>
    /// Whether a peer's allowed IPs cover <paramref name="destination"/>: sending where no peer routes is
    /// NetworkUnreachable at once (as a kernel without a route says), not a timeout.
    /// </summary>
    bool HasRoute(ReadOnlySpan<byte> destination);
}

/// <summary>A layer that turns ICMP errors into socket errors (TCP and UDP).</summary>
internal interface IIcmpErrorSink
{
    /// <summary>
    /// An ICMP(v6) error quoted a packet we sent: <paramref name="quotedSource"/> and <paramref name="quotedDestination"/>
    /// are its addresses (ours, theirs), <paramref name="quotedTransport"/> at least its first 8 transport bytes (ports,
    /// and for TCP the sequence number). <paramref name="error"/> is what the socket should report; <paramref name="isHard"/>
    /// false for errors a connection only remembers (RFC 1122 soft errors) unless it is still connecting.
    /// </summary>
    void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, System.Net.Sockets.SocketError error, bool isHard);
}
