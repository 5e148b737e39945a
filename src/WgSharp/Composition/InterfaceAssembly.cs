using Microsoft.Extensions.Logging;
using WgSharp.Device;
using WgSharp.Device.IO;

namespace WgSharp.Composition;

/// <summary>The steps of <see cref="InterfaceAssembly.Build"/>, in order: what failed when it throws.</summary>
internal enum InterfaceAssemblyStep
{
    /// <summary>Creating the tunnel (a TUN interface, or the userspace stack).</summary>
    Tunnel,
    /// <summary>Creating the device, which opens its UDP sockets.</summary>
    Device,
    /// <summary>The caller's configuration of the new device (its initial configuration, routes).</summary>
    Configuration,
    /// <summary>Opening the control (UAPI) socket.</summary>
    ControlSocket,
    /// <summary>Starting the device's threads, and what the caller does once they run (bringing the link up).</summary>
    Start,
}

/// <summary>A step of <see cref="InterfaceAssembly.Build"/> failed; everything made before it was released. The cause is the inner exception.</summary>
internal sealed class InterfaceAssemblyException(InterfaceAssemblyStep step, Exception cause)
    : Exception($"{step}: {cause.Message}", cause)
{
    /// <summary>The step that failed.</summary>
    public InterfaceAssemblyStep Step { get; } = step;

    /// <summary>What the step threw.</summary>
    public Exception Cause => InnerException!;
}

/// <summary>
/// What to assemble. The tunnel and the control socket are made by functions because only the caller knows how
/// (TUN or userspace stack; which UAPI handler), and each runs only when every step before it succeeded.
/// </summary>
internal sealed class InterfacePlan
{
    /// <summary>Creates the tunnel; the device owns it once created.</summary>
    public required Func<ITunnel> Tunnel { get; init; }

    /// <summary>Opens the device's UDP transports.</summary>
    public required IDatagramTransportFactory Transports { get; init; }

    /// <summary>The device's options.</summary>
    public DeviceOptions? Options { get; init; }

    /// <summary>Where the device logs.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>Configures the new device before its control socket opens and its threads start (null: nothing).</summary>
    public Action<WireGuardDevice>? Configure { get; init; }

    /// <summary>
    /// Opens the control socket for the configured device (null, or returning null: none). Typed as what the
    /// assembly needs of it, disposal: the UAPI server is Linux-only and this class is not.
    /// </summary>
    public Func<WireGuardDevice, IDisposable?>? ControlSocket { get; init; }

    /// <summary>Runs once the device's threads run (null: nothing), e.g. bringing the link up.</summary>
    public Action<WireGuardDevice>? Started { get; init; }
}

/// <summary>An assembled, started interface: its device (which owns the tunnel and transports) and its control socket.</summary>
internal sealed class AssembledInterface(WireGuardDevice device, IDisposable? controlSocket) : IDisposable
{
    public WireGuardDevice Device { get; } = device;

    public IDisposable? ControlSocket { get; } = controlSocket;

    /// <summary>Closes the control socket, then the device (threads, sockets, tunnel): the reverse of assembly.</summary>
    public void Dispose()
    {
        ControlSocket?.Dispose();
        Device.Dispose();
    }
}

/// <summary>
/// The one composition root of a running interface: tunnel, then device (with its UDP transports), configuration,
/// control socket and the device's threads. The daemon (WgSharp.Cli's DaemonHost) and the embedding API
/// (<see cref="WireGuardInterface"/>) both assemble through it, so the order and the clean-up on failure are the same.
/// </summary>
internal static class InterfaceAssembly
{
    /// <summary>
    /// Assembles and starts the interface <paramref name="plan"/> describes. On failure everything made so far is released
    /// in reverse order and an <see cref="InterfaceAssemblyException"/> names the failed step; a cancellation is rethrown as is.
    /// <paramref name="cancellationToken"/> is checked between steps.
    /// </summary>
    public static AssembledInterface Build(InterfacePlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var tunnel = Step(InterfaceAssemblyStep.Tunnel, plan.Tunnel);
        WireGuardDevice device;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            device = Step(InterfaceAssemblyStep.Device, () => new WireGuardDevice(tunnel, plan.Transports, plan.Logger, plan.Options));
        }
        catch
        {
            tunnel.Dispose(); // not yet the device's
            throw;
        }
        IDisposable? control = null;
        try
        {
            if (plan.Configure is { } configure) Step(InterfaceAssemblyStep.Configuration, () => configure(device));
            cancellationToken.ThrowIfCancellationRequested();
            if (plan.ControlSocket is { } open) control = Step(InterfaceAssemblyStep.ControlSocket, () => open(device));
            Step(InterfaceAssemblyStep.Start, () =>
            {
                device.Start();
                plan.Started?.Invoke(device);
            });
            cancellationToken.ThrowIfCancellationRequested();
            return new AssembledInterface(device, control);
        }
        catch
        {
            control?.Dispose();
            device.Dispose();
            throw;
        }
    }

    private static void Step(InterfaceAssemblyStep step, Action action) => Step(step, () => { action(); return true; });

    private static T Step<T>(InterfaceAssemblyStep step, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is not OperationCanceledException) { throw new InterfaceAssemblyException(step, e); }
    }
}
