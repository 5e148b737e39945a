using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WgSharp.Hosting;

/// <summary>
/// One WireGuard interface as a hosted service: created when the host starts, removed when it stops.
/// Registered by <see cref="WireGuardServiceCollectionExtensions.AddWireGuardInterface(Microsoft.Extensions.DependencyInjection.IServiceCollection, WireGuardInterfaceOptions, bool)"/>;
/// find one by name through <see cref="IWireGuardInterfaces"/> (or resolve <c>IEnumerable&lt;WireGuardInterfaceService&gt;</c>).
/// </summary>
public sealed class WireGuardInterfaceService : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly bool _stopHostWhenGone;
    private WireGuardInterface? _interface;

    /// <summary>A service that will run an interface from <paramref name="options"/>.</summary>
    /// <param name="options">The interface to create.</param>
    /// <param name="loggerFactory">Where the interface logs (category <c>WgSharp.NAME</c>); null for nowhere.</param>
    /// <param name="lifetime">The host, stopped when the interface goes away if <paramref name="stopHostWhenGone"/>.</param>
    /// <param name="stopHostWhenGone">Stop the whole host when the interface is deleted from outside (as a daemon does).</param>
    public WireGuardInterfaceService(WireGuardInterfaceOptions options, ILoggerFactory? loggerFactory = null,
        IHostApplicationLifetime? lifetime = null, bool stopHostWhenGone = false)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = loggerFactory?.CreateLogger("WgSharp." + options.Name) ?? NullLogger.Instance;
        _lifetime = lifetime;
        _stopHostWhenGone = stopHostWhenGone;
    }

    /// <summary>The options the interface is created from.</summary>
    public WireGuardInterfaceOptions Options { get; }

    /// <summary>The running interface; null before the host started it and after it stopped.</summary>
    public WireGuardInterface? Interface => Volatile.Read(ref _interface);

    /// <summary>Creates and starts the interface; a failure (a <see cref="WireGuardException"/>) fails the host's start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = await WireGuardInterface.StartAsync(Options, _logger, cancellationToken).ConfigureAwait(false);
        started.Gone += OnGone;
        Volatile.Write(ref _interface, started);
        _logger.LogInformation("{Interface}: WireGuard interface started, listening on UDP port {Port}", started.Name, started.ListenPort);
    }

    /// <summary>Stops the interface and removes it (its kernel interface and control socket included).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _interface, null) is { } running)
            await running.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the interface if the host did not stop it.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void OnGone(object? sender, EventArgs e)
    {
        _logger.LogWarning("{Interface}: the WireGuard interface was removed from outside", Options.Name);
        if (_stopHostWhenGone) _lifetime?.StopApplication();
    }
}
