using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WgSharp.Cli.Ifconfig;
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
        TunDevice tun;
        try { tun = TunDevice.Create(interfaceName); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: cannot create the TUN interface: {e.Message}");
            return 1;
        }
        var options = EnvironmentKnobs.ForDevice();
        WireGuardDevice device;
        try { device = new WireGuardDevice(new LinuxTunnel(tun, options.Offloads), new LinuxDatagramTransportFactory(offloads: options.Offloads), logger, options); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: cannot open the UDP socket: {e.Message}");
            tun.Dispose();
            return 1;
        }
        using var metrics = new WireGuardMetrics();
        metrics.Add(device);
        IDisposable? metricsEndpoint;
        try { metricsEndpoint = MetricsEndpoint.StartFromEnvironment(metrics, logger); }
        catch (MetricsEndpointException e)
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: {e.Message}");
            device.Dispose();
            return 1;
        }
        if (metricsEndpoint is not null)
            logger.LogInformation("{Interface}: serving metrics on {Address} ({Variable})", interfaceName, Environment.GetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable), MetricsEndpoint.EnvironmentVariable);

        using var resolver = new EndpointResolver(device, logger, host => NamespaceHostResolver.ResolveFor(device, host));
        UapiServer server;
        try { server = UapiServer.Start(new ConfigurationLog(new CompactAfterBulkChanges(device), logger, resolver.OnApplied), loggerFactory.CreateLogger(Logging.UapiCategory)); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"wgsharp: {interfaceName}: cannot open the control socket: {e.Message}");
            metricsEndpoint?.Dispose();
            device.Dispose();
            return 1;
        }

        device.InterfaceGone += done.Set;
        using var removed = server.SocketRemoved.Register(done.Set);

        device.Start();
        logger.LogInformation("{Interface}: device started, listening on UDP port {Port}", interfaceName, device.Transport.Port);
        onReady?.Invoke();
        SystemdNotify.Ready();
        done.Wait();

        logger.LogInformation("{Interface}: shutting down", interfaceName);
        SystemdNotify.Stopping();
        metricsEndpoint?.Dispose();
        server.Dispose();
        device.Dispose();
        return 0;
    }
}
