namespace WgSharp.Netstack.Tcp;

/// <summary>TCP limits and defaults of one stack (every resource a peer can make us hold has a limit here).</summary>
internal sealed record TcpSettings
{
    /// <summary>Connections in any state but LISTEN (TIME_WAIT included); a SYN beyond it is refused with RST and counted.</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>Half-open (SYN-RECEIVED) connections per listener; beyond it SYNs are dropped and counted.</summary>
    public int SynBacklog { get; init; } = 256;

    /// <summary>Per-connection send buffer (bytes the application may queue unacknowledged).</summary>
    public int SendBufferSize { get; init; } = 4 << 20;

    /// <summary>Per-connection receive buffer: the most we advertise (window scaling used when above 65,535).</summary>
    public int ReceiveBufferSize { get; init; } = 4 << 20;

    /// <summary>Out-of-order bytes held per connection (at most the receive buffer); beyond it segments are dropped and counted.</summary>
    public int MaxOutOfOrderBytes { get; init; } = 4 << 20;

    /// <summary>How long TIME_WAIT lasts (2 MSL).</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connect attempts give up (TimedOut) after this many SYN retransmissions.</summary>
    public int SynRetries { get; init; } = 6;

    /// <summary>An established connection is reset (TimedOut) after this many retransmissions of the same data.</summary>
    public int DataRetries { get; init; } = 15;

    /// <summary>Keepalive, when a connection turns it on: idle time before the first probe, interval, probes.</summary>
    public TimeSpan KeepAliveIdle { get; init; } = TimeSpan.FromHours(2);
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);
    public int KeepAliveProbes { get; init; } = 9;

    /// <summary>Delayed ACK timeout (RFC 9293 3.8.6.3: at most 500 ms).</summary>
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>RTO bounds (RFC 6298: initial 1 s, minimum 1 s there; 200 ms as Linux).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Congestion control of new connections (CUBIC by default).</summary>
    public CongestionAlgorithm CongestionControl { get; init; } = CongestionAlgorithm.Cubic;

    /// <summary>Challenge ACKs (RFC 5961) the whole stack sends per second at most; the rest are counted and dropped.</summary>
    public int ChallengeAcksPerSecond { get; init; } = 100;

    /// <summary>Completed connections waiting for TryAccept per listener, at most (the listen backlog is capped to it).</summary>
    public int MaxAcceptQueue { get; init; } = 4096;

    /// <summary>Whether we offer and accept SACK (RFC 2018); off leaves loss recovery to NewReno's partial ACKs.</summary>
    public bool Sack { get; init; } = true;

    /// <summary>
    /// A reader or writer waiting on a connection resumes on the thread that delivered the input burst (the device's
    /// receive thread) instead of the thread pool: no hand-off per burst. Off by default (a blocking call in such a
    /// continuation stalls the stack's input).
    /// </summary>
    public bool InlineCompletions { get; init; }
}
