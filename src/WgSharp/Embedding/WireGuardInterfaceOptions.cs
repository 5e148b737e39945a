using System.Diagnostics.Metrics;
namespace WgSharp;

/// <summary>
/// How to create and run one interface (<see cref="WireGuardInterface.StartAsync"/>). Every knob of the
/// library is here or in <see cref="InterfaceConfiguration"/>: it reads no environment variables.
/// </summary>
public sealed record WireGuardInterfaceOptions
{
    /// <summary>The default <see cref="ControlSocketDirectory"/>, where <c>wg</c> and <c>wg-quick</c> look.</summary>
    public const string DefaultControlSocketDirectory = "/var/run/wireguard";

    private readonly string _name = "";
    private readonly InterfaceConfiguration _configuration = new();
    private readonly string _controlSocketDirectory = DefaultControlSocketDirectory;

    /// <summary>
    /// The interface name (at most 15 bytes, no '/' or whitespace), e.g. <c>wg0</c>. An existing TUN interface of that
    /// name is attached to; any other existing interface (<c>lo</c>, <c>eth0</c>) fails the start with
    /// <see cref="WireGuardErrorReason.InterfaceExists"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public required string Name
    {
        get => _name;
        init => _name = value ?? throw new ArgumentNullException(nameof(Name));
    }

    /// <summary>The WireGuard configuration applied before the interface starts.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public InterfaceConfiguration Configuration
    {
        get => _configuration;
        init => _configuration = value ?? throw new ArgumentNullException(nameof(Configuration));
    }

    /// <summary>The interface MTU (68-65535); 1420 fits a 1500-byte path over IPv6.</summary>
    public int Mtu { get; init; } = 1420;

    /// <summary>
    /// A named network namespace (<c>/var/run/netns/NAME</c>, as <c>ip netns add</c> makes) to create the interface
    /// in; null for the caller's. The UDP socket stays in the caller's namespace either way, so the tunnel
    /// carries traffic of that namespace over the caller's network.
    /// </summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>
    /// TUN mode: set the kernel interface administratively up once it runs (as <c>ip link set wg0 up</c>), so it carries
    /// traffic as soon as it has an address; on by default. Off, it stays down until you bring it up. Addresses and
    /// routes are not set either way: use <c>ip</c> or netlink. Ignored in userspace mode (there is no kernel interface).
    /// </summary>
    public bool BringUp { get; init; } = true;

    /// <summary>
    /// Serve the UAPI control socket <c>DIR/NAME.sock</c>, so <c>wg show</c>, <c>wg set</c> and <c>wg-quick</c>
    /// see and configure this interface as they would a wireguard-go one. Off by default.
    /// </summary>
    public bool ControlSocket { get; init; }

    /// <summary>Where the control socket goes when <see cref="ControlSocket"/> is on.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string ControlSocketDirectory
    {
        get => _controlSocketDirectory;
        init => _controlSocketDirectory = value ?? throw new ArgumentNullException(nameof(ControlSocketDirectory));
    }

    /// <summary>Log every protocol event at Information level (wireguard-go's debug log); off by default.</summary>
    public bool DebugLog { get; init; }

    /// <summary>Threads doing handshake work (Diffie-Hellman); 0 for one per core.</summary>
    public int HandshakeWorkers { get; init; }

    /// <summary>Handshake messages queued before new ones are dropped (the interface is "under load" at 1/8 of it).</summary>
    public int HandshakeQueueCapacity { get; init; } = 4096;

    /// <summary>Threads sealing and opening transport packets; 0 picks for the machine (inline on 1-2 cores, one per core above).</summary>
    public int CryptoThreads { get; init; }

    /// <summary>
    /// Use the kernel's offloads (TUN segmentation and checksum offload, UDP GSO and GRO); on by default.
    /// Turn them off on kernels whose offloads are broken.
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>
    /// Publish the interface's counters as System.Diagnostics.Metrics instruments on the meter "WgSharp" (collect
    /// them with OpenTelemetry's AddMeter("WgSharp"); names in docs/observability.md). Observable instruments read
    /// counters the data path keeps anyway, so this costs nothing per packet. On by default.
    /// </summary>
    public bool Metrics { get; init; } = true;

    /// <summary>
    /// Userspace mode: no TUN interface and no root; a TCP/IP stack in this process carries the connections opened through
    /// <see cref="WireGuardInterface.Network"/>. Null (the default) creates a kernel TUN interface as before.
    /// <see cref="Name"/> then only names the interface (logs, the control socket), <see cref="NetworkNamespace"/> and
    /// <see cref="BringUp"/> do not apply.
    /// </summary>
    public UserspaceNetworkOptions? Userspace { get; init; }

    /// <summary>
    /// Use the platform's fast paths where there are any (on Linux: UDP segmentation offload and batched system calls,
    /// OpenSSL's ChaCha20-Poly1305); on by default. Off, the interface uses the portable paths every other system uses
    /// (a plain <see cref="System.Net.Sockets.Socket"/>, libsodium).
    /// </summary>
    public bool UsePlatformFastPaths { get; init; } = true;

    /// <summary>Creates the meter (the host's <see cref="IMeterFactory"/> from dependency injection); null for a plain <see cref="Meter"/>.</summary>
    public IMeterFactory? MeterFactory { get; init; }
}
