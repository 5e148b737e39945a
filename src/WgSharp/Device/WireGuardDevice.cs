using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Routing;

namespace WgSharp.Device;

/// <summary>
/// One WireGuard interface: the tunnel, the datagram transport, the protocol engine, the peers
/// and the cryptokey routing table, with the threads that move packets between them. The device
/// sees its I/O only through the seams in <see cref="WgSharp.Device.IO"/> (Linux: WgSharp.Linux).
/// The data path is split by concern into partial files: DeviceSend (tunnel to transport),
/// DeviceReceive (transport to tunnel), DeviceHandshakes, DeviceTimers and DeviceConfig (control plane).
/// </summary>
internal sealed partial class WireGuardDevice : IDisposable
{
    private readonly ILogger _logger;
    private readonly DeviceOptions _options;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly object _configLock = new();
    private readonly List<Thread> _threads = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDatagramTransportFactory _transports;
    private volatile IDatagramTransport _transport;
    private volatile bool _debug; // the interface's debug log switch: every DeviceLog call checks it first
    private volatile int _mtu;
    private int _disposed;

    // The crypto pipeline (docs/pipeline.md): one pool for both directions, the per-peer queues' work, and the
    // reusable batches and elements that carry packets through it (nothing is allocated per packet).
    private readonly CryptoPool _crypto;
    private readonly SendWork _sendWork;
    private readonly ReceiveWork _receiveWork;
    private readonly BatchLeasePool _tunnelBatches;
    private readonly BatchLeasePool _receiveBatches;
    private readonly Recycler<SendElement> _sendElements = new(() => new SendElement());
    private readonly Recycler<ReceiveElement> _receiveElements;

    /// <summary>
    /// A device on <paramref name="tunnel"/> (owned from here on) whose datagram transport
    /// <paramref name="transports"/> opens: at first on a free port, later as configured.
    /// Throws when that first transport cannot be opened (the tunnel is then left to the caller).
    /// </summary>
    public WireGuardDevice(ITunnel tunnel, IDatagramTransportFactory transports, ILogger logger, DeviceOptions? options = null)
    {
        _transports = transports;
        _transport = transports.Open(new TransportSettings(0, 0, 0));
        Tunnel = tunnel;
        _logger = logger;
        _options = options ?? new DeviceOptions();
        _debug = _options.Debug;
        InterfaceName = tunnel.Name;
        _mtu = tunnel.Mtu;
        Engine = new ProtocolEngine();
        _handshakeQueue = new BlockingCollection<HandshakeWork>(_options.HandshakeQueueCapacity);
        _onTimersArmed = OnTimersArmed;
        _tunnelBatches = new BatchLeasePool(Math.Max(1, tunnel.BatchSize));
        _receiveBatches = new BatchLeasePool(Math.Max(1, _transport.BatchSize));
        _receiveElements = new Recycler<ReceiveElement>(() => new ReceiveElement(_receiveBatches.Capacity));
        _sendWork = new SendWork(this);
        _receiveWork = new ReceiveWork(this);
        _crypto = new CryptoPool(new CryptoPoolOptions { Threads = _options.EffectiveCryptoThreads });
    }

    /// <summary>Threads that seal and open at once (the crypto pool's workers plus a reading thread).</summary>
    public int CryptoThreads => _crypto.WorkerCount + 1;

    /// <summary>One delegate shared by every peer's timers (a delegate per peer would cost memory per peer).</summary>
    private readonly Action<object?> _onTimersArmed;

    public string InterfaceName { get; }
    public ITunnel Tunnel { get; }
    /// <summary>The datagram transport in service (replaced as a whole when the port or routing table changes).</summary>
    public IDatagramTransport Transport => _transport;
    public ProtocolEngine Engine { get; }
    public AllowedIps<Peer> AllowedIps { get; } = new();
    public DeviceCounters Counters { get; } = new();
    /// <summary>
    /// The configured peers. The engine's table is the one table of peers (each protocol peer's owner is its device
    /// peer): a second dictionary keyed by the public key cost 86 bytes for each of 100,000 peers.
    /// </summary>
    public IEnumerable<Peer> Peers => Engine.Peers.Select(p => p.Owner).OfType<Peer>(); // without an owner: being added
    public bool DebugEnabled => _debug;

    /// <summary>The interface MTU; transport payloads are padded up to it, never beyond.</summary>
    public int Mtu
    {
        get => _mtu;
        set { Tunnel.Mtu = value; _mtu = value; }
    }

    /// <summary>Raised once when the interface disappears (deleted with `ip link del`), so the daemon can exit.</summary>
    public event Action? InterfaceGone;

    /// <summary>Monotonic protocol time (scaled by the test hook).</summary>
    public TimeSpan Now => Stopwatch.GetElapsedTime(_startTimestamp) * _options.TimeScale;

    public Peer? FindPeer(in Key publicKey) => Engine.FindPeer(publicKey)?.Owner as Peer;

    /// <summary>Starts the packet and timer threads (handshake workers start with the first handshake message).</summary>
    public void Start()
    {
        StartThread("wg-tun-read", RoutineReadFromTun);
        StartThread("wg-udp4-recv", () => RoutineReceive(UdpFamily.IPv4));
        StartThread("wg-udp6-recv", () => RoutineReceive(UdpFamily.IPv6));
        StartThread("wg-timers", RoutineTimers);
    }

    private void StartThread(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) when (_stopping.IsCancellationRequested) { _ = e; }
            catch (Exception e) { _logger.LogError(e, "{Interface}: {Thread} stopped unexpectedly", InterfaceName, name); }
        }) { IsBackground = true, Name = name };
        lock (_threads) _threads.Add(thread);
        thread.Start();
    }

    private void OnInterfaceGone()
    {
        if (_stopping.IsCancellationRequested) return;
        _logger.LogInformation("{Interface}: interface is gone, shutting down", InterfaceName);
        InterfaceGone?.Invoke();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        _handshakeQueue.CompleteAdding();
        lock (_configLock) _transport.Dispose(); // not while Apply swaps in a new one
        Tunnel.Dispose();
        Thread[] threads;
        lock (_threads) threads = [.. _threads];
        foreach (var t in threads)
            if (t != Thread.CurrentThread) t.Join(TimeSpan.FromSeconds(5));
        // The readers are gone: what is still queued is discarded, every batch back in its pool, then freed.
        _crypto.Dispose();
        _tunnelBatches.Dispose();
        _receiveBatches.Dispose();
        foreach (var peer in Peers)
        {
            peer.ClearStaged();
            Engine.RemovePeer(peer.PublicKey);
        }
        Engine.SetPrivateKey(null);
        while (_handshakeQueue.TryTake(out var w)) w.Return();
        _handshakeQueue.Dispose();
    }
}
