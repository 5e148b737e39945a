using System.Net;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Keys;
using WgSharp.Protocol;

namespace WgSharp.Device;

/// <summary>
/// A configured peer as the device sees it: the protocol state, where to send (the endpoint,
/// which roams to the source of the last authenticated packet), the packets waiting for a
/// session, and traffic counters.
/// </summary>
internal sealed class Peer
{
    /// <summary>Packets kept while a handshake is pending; older ones are dropped first (as wireguard-go does).</summary>
    public const int MaxStagedPackets = 128;

    // Held in an immutable box so the data path reads it without a lock; replaced only on change.
    // With the endpoint, the local address its last authenticated packet arrived at: replies leave from it (sticky source).
    private sealed class EndpointBox(UdpEndpoint value, LocalAddress local)
    {
        public readonly UdpEndpoint Value = value;
        public readonly LocalAddress Local = local;
    }

    private EndpointBox? _endpoint;
    private long _rxBytes;
    private long _txBytes;
    // The queues, the staging queue and the counters are made on first use: of 100,000 configured peers most
    // never send, receive, stage or drop, and made eagerly they were ~400 of an idle peer's bytes (docs/performance.md).
    private Queue<StagedPacket>? _staged;
    private OrderedQueue<SendElement>? _sendQueue;
    private OrderedQueue<ReceiveElement>? _receiveQueue;
    private CounterSet? _counters;

    /// <summary>The device's side of <paramref name="protocol"/>, made as its owner (ProtocolEngine.AddPeer).</summary>
    public Peer(ProtocolPeer<Peer> protocol) => Protocol = protocol;

    public ProtocolPeer<Peer> Protocol { get; }

    // Also guards the staging queue: staging happens under it anyway, and one lock costs each of 100,000 idle peers less.
    private readonly Lock _sendLock = new();

    /// <summary>
    /// Takes the lock that orders this peer's sends (LockLevel.PeerSend): counters are reserved and runs submitted
    /// to <see cref="SendQueue"/> under it, so counter order is queue order is wire order (sealing runs on any thread).
    /// </summary>
    public LockOrder.Scope EnterSendOrder() => LockOrder.Enter(_sendLock, LockLevel.PeerSend);
    /// <summary>This peer's outbound elements in counter order, made on the first send with the device's pool and work.</summary>
    internal OrderedQueue<SendElement> SendQueue(CryptoPool pool, IOrderedWork<SendElement> work) =>
        Volatile.Read(ref _sendQueue) ?? Publish(ref _sendQueue, new OrderedQueue<SendElement>(pool, work));
    /// <summary>This peer's inbound elements in arrival order, made on the first receive with the device's pool and work.</summary>
    internal OrderedQueue<ReceiveElement> ReceiveQueue(CryptoPool pool, IOrderedWork<ReceiveElement> work) =>
        Volatile.Read(ref _receiveQueue) ?? Publish(ref _receiveQueue, new OrderedQueue<ReceiveElement>(pool, work));
    public Key PublicKey => Protocol.PublicKey;
    /// <summary>
    /// A copy of the preshared key for a status snapshot, or null; the one stored copy is the handshake's
    /// pinned buffer (a second, movable copy here would outlive it in memory).
    /// </summary>
    public Key? PresharedKey
    {
        get => Protocol.CopyPresharedKey();
    }
    /// <summary>Creation sequence number: `wg show` lists peers in the order they were added.</summary>
    public long CreatedOrder { get; init; }
    public ushort PersistentKeepalive { get; set; }
    public string? Description { get; set; }
    /// <summary>How the manual's messages name this peer: "peer(AbCd…wXyz)", as wireguard-go logs it.</summary>
    public string LogName => _logName ??= FormatLogName(Protocol.PublicKey); // made on first use: most peers are never logged
    private string? _logName;

    /// <summary>
    /// The deadline (protocol ticks) the device's timer loop has this peer scheduled for; long.MaxValue: not
    /// scheduled. Written under the timer loop's schedule lock; read without it to skip the lock when nothing moved earlier.
    /// </summary>
    internal long ScheduledTicks = long.MaxValue;
    /// <summary>Set when the peer leaves the device's configuration.</summary>
    internal volatile bool Removed;

    /// <summary>The name the endpoint was configured by, resolved again by <see cref="EndpointResolver"/>; null for an address.</summary>
    public Configuration.EndpointName? EndpointName { get => Volatile.Read(ref _endpointName); set => Volatile.Write(ref _endpointName, value); }
    private Configuration.EndpointName? _endpointName;

    public UdpEndpoint Endpoint => Volatile.Read(ref _endpoint)?.Value ?? default;

    /// <summary>The local address the peer's last authenticated packet arrived at (default: none known; the route picks).</summary>
    public LocalAddress LocalAddress => Volatile.Read(ref _endpoint)?.Local ?? default;

    /// <summary>Where to send and from which local address, read together (one consistent pair).</summary>
    public UdpEndpoint GetEndpoint(out LocalAddress local)
    {
        var box = Volatile.Read(ref _endpoint);
        local = box?.Local ?? default;
        return box?.Value ?? default;
    }

    /// <summary>
    /// A configured or resolved endpoint: any remembered local address is forgotten (the kernel module does the
    /// same), so the route picks the source until the peer's packets arrive.
    /// </summary>
    public void SetEndpoint(in UdpEndpoint endpoint) => SetEndpoint(endpoint, default);

    /// <summary>The source of an authenticated packet and the local address it arrived at; allocates only on change.</summary>
    public void SetEndpoint(in UdpEndpoint endpoint, in LocalAddress local)
    {
        var current = Volatile.Read(ref _endpoint);
        if (current is not null && current.Value == endpoint && current.Local == local) return;
        Volatile.Write(ref _endpoint, endpoint.IsEmpty ? null : new EndpointBox(endpoint, local));
    }

    /// <summary>
    /// Forgets the local address <paramref name="gone"/> (a send from it failed: it left the host) unless the
    /// endpoint changed meanwhile.
    /// </summary>
    public void ForgetLocalAddress(in UdpEndpoint endpoint, in LocalAddress gone)
    {
        var current = Volatile.Read(ref _endpoint);
        if (current is null || current.Value != endpoint || current.Local != gone || gone.IsEmpty) return;
        Interlocked.CompareExchange(ref _endpoint, new EndpointBox(endpoint, default), current);
    }

    /// <summary>What a peer that never dropped or handshook reads: all zero, shared, never counted into.</summary>
    internal static CounterSet NoCounters { get; } = new(CounterScope.Peer);

    /// <summary>This peer's drops and handshakes (the device counts the same in its totals); all zero until the first.</summary>
    public CounterSet Counters => Volatile.Read(ref _counters) ?? NoCounters;
    /// <summary>The counters to count into, made on the first count (a drop or a handshake, never a forwarded packet).</summary>
    internal CounterSet CountersToUpdate => Volatile.Read(ref _counters) ?? Publish(ref _counters, new CounterSet(CounterScope.Peer));

    /// <summary>How long ago (protocol time <paramref name="now"/>) the current session's keys were made; null without a session.</summary>
    public TimeSpan? KeypairAge(TimeSpan now) => Protocol.Keypairs.Current is { } current ? now - current.Created : null;

    public ulong RxBytes => (ulong)Interlocked.Read(ref _rxBytes);
    public ulong TxBytes => (ulong)Interlocked.Read(ref _txBytes);
    public void AddRx(int bytes) => Interlocked.Add(ref _rxBytes, bytes);
    public void AddTx(int bytes) => Interlocked.Add(ref _txBytes, bytes);

    /// <summary>Keeps a copy of an outbound packet until a session exists; returns false if one had to be dropped.</summary>
    public bool Stage(ReadOnlySpan<byte> packet)
    {
        var copy = StagedPacket.Rent(packet);
        var staged = Volatile.Read(ref _staged) ?? Publish(ref _staged, new Queue<StagedPacket>());
        using (EnterSendOrder())
        {
            bool dropped = false;
            while (staged.Count >= MaxStagedPackets)
            {
                staged.Dequeue().Return();
                dropped = true;
            }
            staged.Enqueue(copy);
            return !dropped;
        }
    }

    /// <summary>Takes every staged packet (in order) for sending.</summary>
    public int TakeStaged(List<StagedPacket> into)
    {
        if (Volatile.Read(ref _staged) is not { } staged) return 0;
        using (EnterSendOrder())
        {
            int n = staged.Count;
            while (staged.Count > 0) into.Add(staged.Dequeue());
            return n;
        }
    }

    public int StagedCount
    {
        get
        {
            if (Volatile.Read(ref _staged) is not { } staged) return 0;
            using (EnterSendOrder()) return staged.Count;
        }
    }

    /// <summary>Drops every staged packet (handshake gave up, peer removed).</summary>
    public int ClearStaged()
    {
        if (Volatile.Read(ref _staged) is not { } staged) return 0;
        using (EnterSendOrder())
        {
            int n = staged.Count;
            while (staged.Count > 0) staged.Dequeue().Return();
            return n;
        }
    }

    /// <summary>Sets a lazily made field once: the first of racing callers wins and everyone uses its object.</summary>
    private static T Publish<T>(ref T? field, T made) where T : class => Interlocked.CompareExchange(ref field, made, null) ?? made;

    public static string FormatLogName(in Key publicKey)
    {
        string b64 = publicKey.ToBase64();
        return $"peer({b64[..4]}…{b64[39..43]})";
    }

    public IPEndPoint? EndpointForDisplay => Endpoint.IsEmpty ? null : Endpoint.ToIPEndPoint();
}
