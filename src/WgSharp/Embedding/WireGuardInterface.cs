using System.Net;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WgSharp.Composition;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using WgSharp.Portable;

namespace WgSharp;

/// <summary>
/// One running WireGuard interface in this process: a TUN interface, its UDP sockets, the protocol and
/// its threads, and optionally the UAPI control socket. Create it with <see cref="StartAsync"/>; it owns
/// everything it created and <see cref="DisposeAsync"/> (or <see cref="StopAsync"/>) removes all of it,
/// the kernel interface included. All members are thread-safe.
/// </summary>
/// <remarks>
/// Ctrl-C (SIGINT) and SIGTERM end a .NET process without running <c>finally</c> blocks or <see cref="DisposeAsync"/>:
/// the kernel removes a TUN interface with the process, but the control socket file stays behind until the next start
/// replaces it. Handle them (<see cref="System.Runtime.InteropServices.PosixSignalRegistration"/> or
/// <see cref="Console.CancelKeyPress"/>, cancelling the signal) and let <c>await using</c> dispose; the Generic Host
/// does this for you. docs/embedding.md, "Stopping", has the code.
/// Why one class this long (about 420 lines): it is the public face of both modes (TUN and userspace), and most of
/// its length is XML documentation; the assembly itself is InterfaceAssembly's.
/// </remarks>
public sealed class WireGuardInterface : IAsyncDisposable
{
    private readonly WireGuardDevice _device;
    private readonly UapiServer? _controlSocket;
    private readonly ILogger _logger;
    private readonly CancellationTokenRegistration _socketRemoved;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stopLock = new();
    private Task? _stopping;
    private int _gone;

    private readonly WireGuardMetrics? _metrics;

    private WireGuardInterface(WireGuardDevice device, UapiServer? controlSocket, WireGuardMetrics? metrics, ILogger logger, WireGuardNetwork? network = null, Netstack.Netstack? stack = null)
    {
        _network = network;
        _stack = stack;
        _logger = logger;
        _device = device;
        _controlSocket = controlSocket;
        _metrics = metrics;
        Name = device.InterfaceName;
        _device.InterfaceGone += OnGone;
        // Validate lets a control socket exist on Linux only.
        if (controlSocket != null && OperatingSystem.IsLinux())
        {
            _socketRemoved = controlSocket.SocketRemoved.Register(OnGone);
            // A program that exits without disposing (returns from Main, Environment.Exit) would leave the socket file
            // behind for wg to trip over; the TUN interface goes with the process anyway. SIGINT and SIGTERM end a .NET
            // process without ProcessExit: docs/embedding.md ("Stopping") shows the signal handlers that dispose instead.
            AppDomain.CurrentDomain.ProcessExit += RemoveControlSocketAtExit;
        }
    }

    private void RemoveControlSocketAtExit(object? sender, EventArgs e)
    {
        if (OperatingSystem.IsLinux()) _controlSocket?.Dispose();
    }

    /// <summary>
    /// Creates the interface described by <paramref name="options"/>, applies its configuration and starts it.
    /// On failure nothing is left behind (no interface, socket or thread).
    /// </summary>
    /// <param name="options">What to create; <see cref="WireGuardInterfaceOptions.Name"/> is required.</param>
    /// <param name="logger">Where the interface logs (errors, and protocol events when <see cref="WireGuardInterfaceOptions.DebugLog"/> is on); null for nowhere.</param>
    /// <param name="cancellationToken">Cancels the start; whatever was created by then is removed again.</param>
    /// <exception cref="WireGuardException">The interface could not be created or configured; <see cref="WireGuardException.Reason"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<WireGuardInterface> StartAsync(WireGuardInterfaceOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DeviceUpdate update;
        try
        {
            // Validated before anything exists, so a bad configuration creates nothing.
            Validate(options);
            update = EmbeddingTranslation.ToUpdate(options.Configuration);
        }
        catch (WireGuardException e) { return Task.FromException<WireGuardInterface>(e); } // reported through the task, as every other failure
        // Creating a TUN interface and binding sockets are blocking system calls: off the caller's thread.
        if (options.Userspace is not null)
            return Task.Run(() => StartUserspace(options, update, logger ?? NullLogger.Instance, cancellationToken), cancellationToken);
        // Validate rejected TUN mode off Linux already; the check here is what the platform analyzer sees.
        return Task.Run(() => OperatingSystem.IsLinux() ? Start(options, update, logger ?? NullLogger.Instance, cancellationToken) : throw TunModeNeedsLinux(), cancellationToken);
    }

    /// <summary>
    /// Userspace mode: the device's tunnel is the in-process stack, its UDP sockets ordinary ones (no TUN, no namespace,
    /// no fwmark unless configured): nothing here needs root.
    /// </summary>
    private static WireGuardInterface StartUserspace(WireGuardInterfaceOptions options, DeviceUpdate update, ILogger logger, CancellationToken cancellationToken)
    {
        string what = $"cannot start the WireGuard interface {options.Name}";
        var userspace = options.Userspace!;
        Netstack.Netstack? stack = null;
        AssembledInterface? assembled = null;
        UapiServer? server = null;
        try
        {
            assembled = InterfaceAssembly.Build(new InterfacePlan
            {
                Tunnel = () =>
                {
                    stack = new Netstack.Netstack(new NetstackOptions
                    {
                        Addresses = [.. userspace.Addresses],
                        DnsServers = [.. userspace.DnsServers],
                        Mtu = options.Mtu,
                        Tcp = new TcpSettings
                        {
                            MaxConnections = userspace.MaxTcpConnections,
                            SynBacklog = userspace.TcpSynBacklog,
                            SendBufferSize = userspace.TcpBufferSize,
                            ReceiveBufferSize = userspace.TcpBufferSize,
                            MaxOutOfOrderBytes = userspace.TcpBufferSize,
                            InlineCompletions = userspace.InlineCompletions,
                        },
                    });
                    return new NetstackTunnel(stack, options.Name);
                },
                Transports = options.UsePlatformFastPaths && OperatingSystem.IsLinux()
                    ? new LinuxDatagramTransportFactory(offloads: options.Offloads)
                    : new SocketDatagramTransportFactory(),
                Options = DeviceOptionsOf(options),
                Logger = logger,
                Configure = device =>
                {
                    var routes = device.AllowedIps;
                    stack!.Routes = destination => routes.Lookup(destination) is not null;
                    Apply(device, update);
                },
                ControlSocket = device =>
                {
                    if (options.ControlSocket && OperatingSystem.IsLinux()) server = UapiServer.Start(device, logger, options.ControlSocketDirectory);
                    return server;
                },
            }, cancellationToken);
            WireGuardMetrics? metrics = null;
            if (options.Metrics)
            {
                metrics = new WireGuardMetrics(options.MeterFactory);
                metrics.Add(assembled.Device);
                metrics.Add(options.Name, stack!);
            }
            return new WireGuardInterface(assembled.Device, server, metrics, logger, new WireGuardNetwork(stack!), stack);
        }
        catch (Exception e)
        {
            assembled?.Dispose();
            if (e is OperationCanceledException) throw;
            throw EmbeddingErrors.From(e is InterfaceAssemblyException step ? step.Cause : e, what);
        }
        finally
        {
            update.ClearSecrets();
        }
    }

    /// <summary>Applies the initial configuration; a refusal fails the start.</summary>
    private static void Apply(WireGuardDevice device, DeviceUpdate update)
    {
        var applied = device.Apply(update);
        if (!applied.IsOk) throw EmbeddingErrors.FromConfigResult(applied);
    }

    private static DeviceOptions DeviceOptionsOf(WireGuardInterfaceOptions options) => new()
    {
        Offloads = options.Offloads,
        CryptoThreads = options.CryptoThreads,
        Debug = options.DebugLog,
        HandshakeWorkers = options.HandshakeWorkers,
        HandshakeQueueCapacity = options.HandshakeQueueCapacity,
    };

    [SupportedOSPlatform("linux")]
    private static WireGuardInterface Start(WireGuardInterfaceOptions options, DeviceUpdate update, ILogger logger, CancellationToken cancellationToken)
    {
        string what = $"cannot start the WireGuard interface {options.Name}";
        AssembledInterface? assembled = null;
        UapiServer? server = null;
        try
        {
            LinuxTunnel? tunnel = null;
            assembled = InterfaceAssembly.Build(new InterfacePlan
            {
                Tunnel = () =>
                {
                    var tun = CreateTun(options, what);
                    return tunnel = new LinuxTunnel(tun, options.Offloads);
                },
                Transports = new LinuxDatagramTransportFactory(offloads: options.Offloads),
                Options = DeviceOptionsOf(options),
                Logger = logger,
                Configure = device => Apply(device, update),
                ControlSocket = device => server = options.ControlSocket ? UapiServer.Start(device, logger, options.ControlSocketDirectory) : null,
                Started = _ =>
                {
                    if (options.BringUp) tunnel!.Device.SetUp(true);
                },
            }, cancellationToken);
            WireGuardMetrics? metrics = null;
            if (options.Metrics)
            {
                metrics = new WireGuardMetrics(options.MeterFactory);
                metrics.Add(assembled.Device);
            }
            return new WireGuardInterface(assembled.Device, server, metrics, logger);
        }
        catch (Exception e)
        {
            assembled?.Dispose();
            if (e is OperationCanceledException) throw;
            throw EmbeddingErrors.From(e is InterfaceAssemblyException step ? step.Cause : e, what);
        }
        finally
        {
            update.ClearSecrets();
        }
    }

    [SupportedOSPlatform("linux")]
    private static TunDevice CreateTun(WireGuardInterfaceOptions options, string what)
    {
        try
        {
            return options.NetworkNamespace is { } netns
                ? (NetNs.Exists(netns) ? TunDevice.CreateInNamespace(netns, options.Name, options.Mtu)
                    : throw new WireGuardException(WireGuardErrorReason.NamespaceNotFound, $"{what}: no network namespace {netns}"))
                : TunDevice.Create(options.Name, options.Mtu);
        }
        // The kernel attaches to an existing TUN interface of the name and answers EINVAL for any other kind (lo, eth0, a
        // kernel wg): our flags are fixed, so EINVAL here means the name is taken.
        catch (LinuxIoException e) when (e.Errno == Errno.EINVAL)
        {
            throw new WireGuardException(WireGuardErrorReason.InterfaceExists, $"{what}: an interface {options.Name} exists and is not a TUN interface", e.Errno, e);
        }
    }

    private static void Validate(WireGuardInterfaceOptions options)
    {
        string what = "invalid WireGuard interface options";
        if (options.Userspace is null && !OperatingSystem.IsLinux()) throw TunModeNeedsLinux();
        if (options.ControlSocket && !OperatingSystem.IsLinux())
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the control socket needs Linux");
        if (!InterfaceName.IsValid(options.Name))
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: '{options.Name}' is not an interface name (1-15 bytes, no '/' or whitespace)");
        if (options.Mtu is < 68 or > 65535)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the MTU must be 68-65535");
        if (options.NetworkNamespace is { } netns && OperatingSystem.IsLinux() && !NetNs.IsValidName(netns))
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: '{netns}' is not a network namespace name");
        if (options.CryptoThreads < 0)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: crypto threads must be 0 or more");
        if (options.HandshakeWorkers < 0 || options.HandshakeQueueCapacity < 8)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: handshake workers must be 0 or more and the queue at least 8");
        if (options.ControlSocket && string.IsNullOrEmpty(options.ControlSocketDirectory))
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the control socket directory is empty");
        if (options.Userspace is { } userspace) ValidateUserspace(userspace, options, what);
    }

    private static void ValidateUserspace(UserspaceNetworkOptions userspace, WireGuardInterfaceOptions options, string what)
    {
        if (options.NetworkNamespace is not null)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: a userspace interface has no kernel interface to put in a network namespace");
        if (userspace.Addresses is null || userspace.Addresses.Count == 0)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: userspace mode needs at least one interface address");
        if (userspace.DnsServers is null)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the DNS server list is null (empty for none)");
        foreach (var address in userspace.Addresses)
        {
            var ip = address.BaseAddress;
            if (ip.IsIPv4MappedToIPv6 || IPAddress.Any.Equals(ip) || IPAddress.IPv6Any.Equals(ip) || IPAddress.IsLoopback(ip) || ip.IsIPv6Multicast || IsIPv4Multicast(ip))
                throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: {address} cannot be an interface address");
        }
        foreach (var server in userspace.DnsServers)
        {
            if (server is null || IPAddress.Any.Equals(server) || IPAddress.IPv6Any.Equals(server))
                throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: {server?.ToString() ?? "null"} cannot be a DNS server");
        }
        if (options.Mtu < 1280 && userspace.Addresses.Any(a => a.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6))
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: IPv6 needs an MTU of at least 1280");
        if (options.Mtu < 576)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: userspace mode needs an MTU of at least 576");
        if (userspace.MaxTcpConnections < 1 || userspace.TcpSynBacklog < 1)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the TCP connection limit and SYN backlog must be at least 1");
        if (userspace.TcpBufferSize is < 16 * 1024 or > 64 * 1024 * 1024)
            throw new WireGuardException(WireGuardErrorReason.InvalidConfiguration, $"{what}: the TCP buffer size must be 16 KiB to 64 MiB");
    }

    private static WireGuardException TunModeNeedsLinux() =>
        new(WireGuardErrorReason.InvalidConfiguration, "TUN mode needs Linux; use Userspace (WireGuardInterfaceOptions.Userspace) on this system");

    private static bool IsIPv4Multicast(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return bytes[0] is >= 224 and <= 239;
    }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>
    /// The network inside a userspace-mode interface (<see cref="WireGuardInterfaceOptions.Userspace"/>): connect, listen,
    /// UDP, ping and DNS through the tunnel. InvalidOperationException for a TUN-mode interface.
    /// </summary>
    public WireGuardNetwork Network => _network ?? throw new InvalidOperationException($"the WireGuard interface {Name} is not in userspace mode: it has a kernel interface, use ordinary sockets");

    private readonly WireGuardNetwork? _network;
    private readonly Netstack.Netstack? _stack;

    /// <summary>The UDP port the interface listens on now (the kernel's choice when configured as 0).</summary>
    public int ListenPort => _device.Transport.Port;

    /// <summary>
    /// Raised once when the interface went away from outside: the kernel interface was deleted (<c>ip link del</c>)
    /// or its control socket file removed (as <c>wg-quick down</c> does). The interface stops working; the owner still
    /// disposes it. Not raised by <see cref="DisposeAsync"/>.
    /// </summary>
    /// <remarks>
    /// Raised on one of the interface's own threads (the timer thread <c>wg-timers</c> for a deleted interface, the
    /// control socket's thread <c>wg-uapi</c> for a removed socket file), never on a synchronization context: keep the
    /// handler short and do not dispose the interface from it synchronously (post the work, or await
    /// <see cref="Completion"/> instead). An exception from a handler is logged, not propagated.
    /// </remarks>
    public event EventHandler? Gone;

    /// <summary>Completes when the interface has stopped: gone from outside, or stopped by its owner.</summary>
    public Task Completion => _completion.Task;

    /// <summary>A consistent snapshot of the configuration and counters (no secrets).</summary>
    /// <exception cref="WireGuardException">The interface was disposed (<see cref="WireGuardErrorReason.InterfaceGone"/>).</exception>
    public WireGuardInterfaceStatus GetStatus()
    {
        ThrowIfStopped();
        var status = _device.GetStatus();
        try
        {
            var translated = EmbeddingTranslation.ToStatus(status);
            return _stack is null ? translated : translated with { NetworkCounters = NetworkCountersOf(_stack) };
        }
        finally { status.ClearSecrets(); }
    }

    private static Dictionary<string, long> NetworkCountersOf(Netstack.Netstack stack)
    {
        var counters = new Dictionary<string, long>(NetstackCounters.All.Count + 1) { ["tcp_connections"] = stack.Tcp.ConnectionCount };
        foreach (var counter in NetstackCounters.All) counters[NetstackCounters.Name(counter)] = stack.Counters[counter];
        return counters;
    }

    /// <summary>
    /// Replaces the whole WireGuard configuration (keys, port, fwmark, peers), as <c>wg setconf</c>: all of it
    /// or, on an exception, none of it. Sessions of peers that stay keep running.
    /// </summary>
    /// <exception cref="WireGuardException">Invalid, or the new port is taken; nothing changed.</exception>
    public void Configure(InterfaceConfiguration configuration)
    {
        ThrowIfStopped();
        var update = EmbeddingTranslation.ToUpdate(configuration);
        try
        {
            var result = _device.Apply(update);
            if (!result.IsOk) throw EmbeddingErrors.FromConfigResult(result);
        }
        finally { update.ClearSecrets(); }
    }

    /// <summary>
    /// Stops the interface and removes everything it created: threads, sockets, the control socket file and
    /// the kernel interface (with its addresses and routes). Idempotent; <see cref="DisposeAsync"/> does the same.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the teardown (which still completes in the background).</param>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task stopping;
        lock (_stopLock)
            stopping = _stopping ??= Task.Run(Teardown, CancellationToken.None);
        return stopping.WaitAsync(cancellationToken);
    }

    /// <summary>Stops the interface and removes everything it created (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private void Teardown()
    {
        _device.InterfaceGone -= OnGone;
        _socketRemoved.Dispose();
        AppDomain.CurrentDomain.ProcessExit -= RemoveControlSocketAtExit;
        if (OperatingSystem.IsLinux()) _controlSocket?.Dispose();
        _metrics?.Dispose();
        _device.Dispose(); // joins the threads; closing the TUN descriptor deletes the interface
        _completion.TrySetResult();
    }

    private void OnGone()
    {
        if (Interlocked.Exchange(ref _gone, 1) != 0) return;
        try { Gone?.Invoke(this, EventArgs.Empty); }
        // The handler runs on the interface's timer thread: its exception must not end that thread.
        catch (Exception e) { _logger.LogError(e, "{Interface}: a Gone handler failed", Name); }
        finally { _completion.TrySetResult(); }
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _stopping) != null || Volatile.Read(ref _gone) != 0)
            throw new WireGuardException(WireGuardErrorReason.InterfaceGone, $"the WireGuard interface {Name} is stopped");
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
