using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Daemon;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// One running `wgsharp proxy`/`forward`: the userspace interface, its services, and the optional metrics endpoint,
/// control socket and capture. Starts all or nothing (a failure disposes what was started, exit 1); then serves until
/// SIGTERM/SIGINT (exit 0) or until the interface goes away (its control socket removed: exit 1). SIGHUP reloads.
/// </summary>
internal sealed class ProxyHost
{
    private readonly ProxyArguments _arguments;
    private readonly ILogger _logger;
    private readonly ProxyCounters _counters = new();
    private readonly List<IProxyService> _services = [];
    private ProxyConfig _config;
    private WireGuardInterface? _interface;
    private PcapWriter? _pcap;
    private ProxyMetrics? _proxyMetrics;
    private IDisposable? _metricsEndpoint;

    private ProxyHost(ProxyArguments arguments, ProxyConfig config, ILogger logger)
    {
        _arguments = arguments;
        _config = config;
        _logger = logger;
    }

    /// <summary>Starts, serves, stops; the process's exit code.</summary>
    public static async Task<int> RunAsync(ProxyArguments arguments, ProxyConfig config, ILoggerFactory loggers)
    {
        var host = new ProxyHost(arguments, config, loggers.CreateLogger("wgsharp.proxy"));
        try
        {
            try { await host.StartAsync(loggers).ConfigureAwait(false); }
            catch (Exception e) when (e is ProxyStartException or WireGuardException or MetricsEndpointException)
            {
                Console.Error.WriteLine($"wgsharp: {e.Message.ReplaceLineEndings(" ")}");
                return 1;
            }
            return await host.ServeAsync().ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync().ConfigureAwait(false);
        }
    }

    private async Task StartAsync(ILoggerFactory loggers)
    {
        string? control = _arguments.ControlPath;
        var options = new WireGuardInterfaceOptions
        {
            Name = control is null ? NameFromConf(_arguments.ConfPath) : ControlSocketPath.NameOf(control),
            Configuration = _config.WireGuard,
            Mtu = _config.Mtu,
            Userspace = new UserspaceNetworkOptions { Addresses = _config.Addresses, DnsServers = _config.DnsServers },
            ControlSocket = control is not null,
            ControlSocketDirectory = control is null ? WireGuardInterfaceOptions.DefaultControlSocketDirectory : ControlSocketPath.DirectoryOf(control),
        };
        _interface = await WireGuardInterface.StartAsync(options, loggers.CreateLogger("wgsharp")).ConfigureAwait(false);
        if (_arguments.PcapPath is { } pcap)
        {
            try { _pcap = new PcapWriter(pcap); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ProxyStartException($"--pcap {e.Message}");
            }
            _interface.Network.Stack.Tap = _pcap;
        }
        var context = new ProxyContext(_interface.Network, _config.Credentials, _config.Limits, _counters, _logger);
        foreach (var spec in _config.Services)
        {
            var service = ProxyServices.Create(spec, context);
            _services.Add(service);
            service.Start();
            var shown = service.LocalEndPoint is { } bound ? spec with { Listen = bound } : spec;
            Console.Error.WriteLine($"wgsharp: {shown} ready");
        }
        if (_arguments.Metrics is { } metrics)
        {
            _proxyMetrics = new ProxyMetrics(_counters);
            _metricsEndpoint = MetricsEndpoint.Start(metrics, _logger);
            Console.Error.WriteLine($"wgsharp: metrics {metrics} ready");
        }
    }

    private async Task<int> ServeAsync()
    {
        var stop = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reload = new SemaphoreSlim(0);
        void Terminate(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.TrySetResult(0);
        }
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            reload.Release();
        });
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Terminate);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Terminate);
        _ = _interface!.Completion.ContinueWith(_ =>
        {
            if (stop.TrySetResult(1)) _logger.LogError("the interface went away (its control socket was removed): stopping");
        }, TaskScheduler.Default);
        while (true)
        {
            var reloadRequested = reload.WaitAsync();
            if (await Task.WhenAny(stop.Task, reloadRequested).ConfigureAwait(false) == stop.Task) return await stop.Task.ConfigureAwait(false);
            Reload();
        }
    }

    /// <summary>
    /// SIGHUP: re-reads CONF and applies keys and peers all or nothing (<see cref="WireGuardInterface.Configure"/>:
    /// sessions of peers that stay keep running, so do their connections). What needs a restart is named, not applied.
    /// </summary>
    private void Reload()
    {
        ProxyConfig next;
        try { next = ProxyCommand.Load(_arguments); }
        catch (ProxyConfigException e)
        {
            _logger.LogError("reload: {Error}; nothing changed", e.Message);
            return;
        }
        try { _interface!.Configure(next.WireGuard); }
        catch (WireGuardException e)
        {
            _logger.LogError("reload: {Error}; nothing changed", e.Message);
            return;
        }
        var needRestart = _config.NeedRestart(next);
        _config = _config with { WireGuard = next.WireGuard };
        _logger.LogInformation("reload: {File}: keys and peers applied ({Peers} peers)", _arguments.ConfPath, next.WireGuard.Peers.Count);
        if (needRestart.Count > 0)
            _logger.LogWarning("reload: {Changes} changed: not applied, restart to apply", string.Join(", ", needRestart));
    }

    /// <summary>Services first (they hold connections through the tunnel), then the capture, the interface, the metrics.</summary>
    private async Task StopAsync()
    {
        for (int i = _services.Count - 1; i >= 0; i--)
        {
            try { await _services[i].DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) { _logger.LogError("{Service}: stopping failed: {Error}", _services[i].Spec, e.Message); }
        }
        _services.Clear();
        if (_interface is not null)
        {
            _interface.Network.Stack.Tap = null;
            await _interface.DisposeAsync().ConfigureAwait(false);
        }
        _pcap?.Dispose();
        _metricsEndpoint?.Dispose();
        _proxyMetrics?.Dispose();
    }

    /// <summary>As wg-quick: the interface is named after the file (wg0.conf: wg0), or "wgsharp" when that is not a name.</summary>
    private static string NameFromConf(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return Configuration.InterfaceName.IsValid(name) ? name : "wgsharp";
    }
}
