using Microsoft.Extensions.Logging;
using WgSharp.Configuration;
using WgSharp.Device.IO;
using WgSharp.Device.Pipeline;
using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Routing;

namespace WgSharp.Device;

/// <summary>
/// One WireGuard interface: the tunnel, the datagram transport, the protocol engine, the peers and the
/// cryptokey routing table, with the threads that move packets between them. The device only composes its
/// collaborators (docs/architecture.md): <see cref="SendPath"/> (tunnel to transport, handshake initiations),
/// <see cref="ReceivePath"/> (transport to tunnel), <see cref="HandshakeResponder"/> (received handshake
/// messages), <see cref="TimerLoop"/> (every peer's timers) and <see cref="DeviceConfigurator"/> (the control
/// plane). It sees its I/O only through the seams in <see cref="WgSharp.Device.IO"/> (Linux: WgSharp.Linux).
/// </summary>
internal sealed class WireGuardDevice : IDeviceControl, IDisposable
{
    private readonly InterfaceLog _log;
    private readonly DeviceThreads _threads;
    private readonly CryptoPool _crypto;
    private readonly SendPath _send;
    private readonly ReceivePath _receive;
    private readonly HandshakeResponder _handshakes;
    private readonly TimerLoop _timers;
    private readonly DeviceConfigurator _configurator;
    private readonly TransportSlot _transport;
    private readonly DeviceClock _clock;
    private int _disposed;

    /// <summary>
    /// A device on <paramref name="tunnel"/> (owned from here on) whose datagram transport
    /// <paramref name="transports"/> opens: at first on a free port, later as configured.
    /// Throws when that first transport cannot be opened (the tunnel is then left to the caller).
    /// </summary>
    public WireGuardDevice(ITunnel tunnel, IDatagramTransportFactory transports, ILogger logger, DeviceOptions? options = null)
    {
        _transport = new TransportSlot(transports.Open(new TransportSettings(0, 0, 0)));
        options ??= new DeviceOptions();
        Tunnel = tunnel;
        InterfaceName = tunnel.Name;
        _log = new InterfaceLog(logger, InterfaceName, options.Debug);
        _clock = new DeviceClock(options.TimeProvider);
        _threads = new DeviceThreads(_log);
        _crypto = new CryptoPool(new CryptoPoolOptions { Threads = options.EffectiveCryptoThreads });
        Engine = new ProtocolEngine<Peer>();
        var stopping = _threads.Stopping;
        _send = new SendPath(tunnel, _transport, Engine, AllowedIps, Counters, _crypto, _clock, _log, stopping, OnInterfaceGone);
        _handshakes = new HandshakeResponder(_transport, Engine, Counters, _clock, _log, _threads, _send, options);
        _receive = new ReceivePath(tunnel, _transport, Engine, AllowedIps, Counters, _crypto, _clock, _log, stopping, _send, _handshakes);
        _timers = new TimerLoop(Engine, Counters, _clock, _log, stopping, _send);
        _configurator = new DeviceConfigurator(InterfaceName, Engine, AllowedIps, Counters, _clock, _log, _transport, transports, _timers);
    }

    /// <summary>Threads that seal and open at once (the crypto pool's workers plus a reading thread).</summary>
    public int CryptoThreads => _crypto.WorkerCount + 1;

    public string InterfaceName { get; }
    public ITunnel Tunnel { get; }
    /// <summary>The datagram transport in service (replaced as a whole when the port or routing table changes).</summary>
    public IDatagramTransport Transport => _transport.Current;
    public ProtocolEngine<Peer> Engine { get; }
    public AllowedIps<Peer> AllowedIps { get; } = new();
    public DeviceCounters Counters { get; } = new();
    /// <summary>The configured peers.</summary>
    public IEnumerable<Peer> Peers => _configurator.Peers;
    public bool DebugEnabled => _log.Debug;

    /// <summary>The interface MTU; transport payloads are padded up to it, never beyond.</summary>
    public int Mtu
    {
        get => _send.Mtu;
        set { Tunnel.Mtu = value; _send.Mtu = value; }
    }

    /// <summary>Raised once when the interface disappears (deleted with `ip link del`), so the daemon can exit.</summary>
    public event Action? InterfaceGone;

    /// <summary>Monotonic protocol time.</summary>
    public TimeSpan Now => _clock.Now;

    /// <summary>The routing table (wgrtable) the UDP socket lives in; 0 for the device's own namespace.</summary>
    public int RTable => _configurator.RTable;

    public Peer? FindPeer(in Key publicKey) => _configurator.FindPeer(publicKey);

    public DeviceStatus GetStatus() => _configurator.GetStatus();

    public ConfigResult Apply(DeviceUpdate update) => _configurator.Apply(update);

    /// <summary>Sends one inner packet (empty: a keepalive) to a peer, or stages it and starts a handshake.</summary>
    internal void SendPacket(Peer peer, ReadOnlySpan<byte> packet) => _send.SendPacket(peer, packet);

    /// <summary>Starts the packet and timer threads (handshake workers start with the first handshake message).</summary>
    public void Start()
    {
        _threads.Start("wg-tun-read", _send.RunTunnelReader);
        _threads.Start("wg-udp4-recv", () => _receive.RunReader(UdpFamily.IPv4));
        _threads.Start("wg-udp6-recv", () => _receive.RunReader(UdpFamily.IPv6));
        _threads.Start("wg-timers", _timers.Run);
    }

    private int _gone; // raised once, whatever reports it

    private void OnInterfaceGone()
    {
        if (_threads.Stopping.IsCancellationRequested || Interlocked.Exchange(ref _gone, 1) != 0) return;
        _log.Logger.LogInformation("{Interface}: interface is gone, shutting down", InterfaceName);
        InterfaceGone?.Invoke();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _threads.Stop();
        _handshakes.Stop();
        _configurator.CloseTransport();
        Tunnel.Dispose();
        _threads.Join(TimeSpan.FromSeconds(5));
        // The readers are gone: what is still queued is discarded, every batch back in its pool, then freed.
        _crypto.Dispose();
        _send.TunnelBatches.Dispose();
        _receive.ReceiveBatches.Dispose();
        foreach (var peer in Peers)
        {
            peer.ClearStaged();
            Engine.RemovePeer(peer.PublicKey);
        }
        Engine.SetPrivateKey(null);
        _handshakes.Dispose();
        _timers.Dispose();
    }
}
