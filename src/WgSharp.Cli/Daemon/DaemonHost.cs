using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Ifconfig;
using WgSharp.Composition;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Linux;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The running daemon of one interface: TUN + UDP sockets (the Linux seams) + device + UAPI socket, until SIGINT/SIGTERM,
/// the interface is deleted, or the socket file is removed. Then everything is torn down: the
/// socket file is removed and closing the TUN descriptor deletes the interface.
/// </summary>
internal static class DaemonHost
{
    /// <summary>Runs in the foreground; onReady is called once the socket is serving (the launcher detaches then).</summary>
    public static int Run(string interfaceName, Action? onReady = null, bool detached = false)
    {
        using var loggerFactory = Logging.CreateFactory(detached, interfaceName);
        var logger = loggerFactory.CreateLogger("wgsharp");
        // Before any key arrives: a crash must not write the private key into a core file.
        if (!Posix.MakeNonDumpable()) logger.LogWarning("{Interface}: cannot mark the process non-dumpable; a crash may leave keys in a core file", interfaceName);
        // Signals are caught before the socket appears, so a SIGTERM right after start still cleans up.
        Posix.UnignoreTerminationSignals();
        using var done = new ManualResetEventSlim();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; done.Set(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; done.Set(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; });

        // A daemon killed with SIGKILL leaves its socket file (and possibly its link) behind; start over
        // them, as wireguard-go does (a systemd Restart= or a second `wg-quick up` must just work).
        InterfaceLifecycle.RemoveRemains(interfaceName);
        var options = EnvironmentKnobs.ForDevice();
        if (EnvironmentKnobs.PrintGcStats) GcStats.PrintAtExit();
        using var metrics = new WireGuardMetrics();
        IDisposable? metricsEndpoint = null;
        EndpointResolver? resolver = null;
        AssembledInterface assembled;
        try
        {
            assembled = InterfaceAssembly.Build(new InterfacePlan
            {
                Tunnel = () => new LinuxTunnel(TunDevice.Create(interfaceName), options.Offloads),
                Transports = new LinuxDatagramTransportFactory(offloads: options.Offloads, gsoSegments: EnvironmentKnobs.GsoSegments),
                Options = options,
                Logger = logger,
                Configure = device =>
                {
                    device.InterfaceGone += done.Set;
                    metrics.Add(device);
                    metricsEndpoint = MetricsEndpoint.StartFromEnvironment(metrics, logger);
                },
                ControlSocket = device =>
                {
                    resolver = new EndpointResolver(device, logger, host => NamespaceHostResolver.ResolveFor(device, host));
                    return UapiServer.Start(new ConfigurationLog(new CompactAfterBulkChanges(device), logger, resolver.OnApplied), loggerFactory.CreateLogger(Logging.UapiCategory));
                },
            });
        }
        catch (InterfaceAssemblyException e)
        {
            metricsEndpoint?.Dispose();
            resolver?.Dispose();
            Console.Error.WriteLine($"wgsharp: {interfaceName}: {FailureOf(e)}");
            return 1;
        }
        var device = assembled.Device;
        var server = (UapiServer)assembled.ControlSocket!;
        using var resolverLifetime = resolver;
        if (metricsEndpoint is not null)
            logger.LogInformation("{Interface}: serving metrics on {Address} ({Variable})", interfaceName, Environment.GetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable), MetricsEndpoint.EnvironmentVariable);
        using var removed = server.SocketRemoved.Register(done.Set);

        logger.LogInformation("{Interface}: device started, listening on UDP port {Port}", interfaceName, device.Transport.Port);
        onReady?.Invoke();
        SystemdNotify.Ready();
        done.Wait();

        logger.LogInformation("{Interface}: shutting down", interfaceName);
        SystemdNotify.Stopping();
        metricsEndpoint?.Dispose();
        assembled.Dispose();
        return 0;
    }

    /// <summary>The one line a failed start prints (after "wgsharp: IF: "), naming the step that failed.</summary>
    private static string FailureOf(InterfaceAssemblyException e) => e.Step switch
    {
        InterfaceAssemblyStep.Tunnel => $"cannot create the TUN interface: {e.Cause.Message}",
        InterfaceAssemblyStep.Device => $"cannot open the UDP socket: {e.Cause.Message}",
        InterfaceAssemblyStep.ControlSocket => $"cannot open the control socket: {e.Cause.Message}",
        InterfaceAssemblyStep.Start => $"cannot start the device: {e.Cause.Message}",
        _ => e.Cause.Message, // the metrics endpoint, whose message says what it is
    };
}
