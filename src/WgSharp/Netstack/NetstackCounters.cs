namespace WgSharp.Netstack;

/// <summary>
/// The userspace stack's drops and events: every limit a peer can run into is counted here (never thrown), shown
/// with the interface's other counters. Names (snake_case, as the device's counters) are in <see cref="NetstackCounters.Name"/>.
/// </summary>
internal enum NetstackCounter
{
    // IP (core, reassembly)
    IpMalformed,
    IpUnsupported,
    IpNotForUs,
    IpUnknownProtocol,
    FragmentsReassembled,
    FragmentsDropped,
    OutputQueueFull,

    // ICMP
    IcmpEchoRequestsAnswered,
    IcmpErrorsReceived,
    IcmpErrorsSent,
    IcmpMalformed,
    IcmpRateLimited,

    // UDP
    UdpChecksumFailed,
    UdpMalformed,
    UdpNoSocket,
    UdpReceiveQueueFull,

    // TCP
    TcpChecksumFailed,
    TcpMalformed,
    TcpNoListener,
    TcpSynBacklogFull,
    TcpConnectionLimit,
    TcpAcceptQueueFull,
    TcpOutOfWindow,
    TcpChallengeAcksSent,
    TcpChallengeAcksLimited,
    TcpOutOfOrderDropped,
    TcpRetransmits,
    TcpTimeouts,
    // Loss recovery, as Linux's TcpExt counters report it (what a lossy path costs, compared with the kernel's TCP).
    TcpRecoveries,              // fast recovery episodes entered (TCPSackRecovery / TCPRenoRecovery)
    TcpRecoveriesUndone,        // window cuts undone: DSACKs showed every retransmission spurious (TCPDSACKUndo)
    TcpRetransmissionTimeouts,  // data retransmission timer expiries (TCPTimeouts)
    TcpLossProbes,              // tail loss probes sent (TCPLossProbes)
    TcpDuplicateSacksReceived,  // DSACKs received: a segment we sent arrived twice (TCPDSACKRecv)
    TcpDuplicateSacksSent,      // DSACKs sent: data arrived again (TCPDSACKOldSent)
    TcpOutOfOrderSegments,      // data segments that arrived above a hole (TCPOFOQueue)
    TcpResetsReceived,
    TcpResetsSent,
    TcpConnectionsOpened,
    TcpConnectionsAccepted,
}

/// <summary>One stack's counters: lock-free increments from any thread, snapshots for status and metrics.</summary>
internal sealed class NetstackCounters
{
    private static readonly string[] Names = BuildNames();
    private readonly long[] _values = new long[Names.Length];

    /// <summary>Every counter, in the order they are shown.</summary>
    public static IReadOnlyList<NetstackCounter> All { get; } = Enum.GetValues<NetstackCounter>();

    public void Increment(NetstackCounter counter) => Interlocked.Increment(ref _values[(int)counter]);

    public void Add(NetstackCounter counter, long amount) => Interlocked.Add(ref _values[(int)counter], amount);

    public long this[NetstackCounter counter] => Volatile.Read(ref _values[(int)counter]);

    /// <summary>The counter's name in status, JSON and metrics: snake_case (<c>tcp_syn_backlog_full</c>).</summary>
    public static string Name(NetstackCounter counter) => Names[(int)counter];

    private static string[] BuildNames()
    {
        var counters = Enum.GetValues<NetstackCounter>();
        var names = new string[counters.Length];
        foreach (var counter in counters)
        {
            var text = counter.ToString();
            var name = new System.Text.StringBuilder(text.Length + 8);
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsUpper(text[i]) && i > 0) name.Append('_');
                name.Append(char.ToLowerInvariant(text[i]));
            }
            names[(int)counter] = name.ToString();
        }
        return names;
    }
}
