using WgSharp.Composition;
using WgSharp.Device.IO;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Device;

/// <summary>
/// The one composition root (the daemon's and the embedding API's): steps run in order, a failure releases what was
/// made and names its step, and the assembled interface releases the control socket before the device and tunnel.
/// In memory: no root, no sockets.
/// </summary>
public class InterfaceAssemblyTests
{
    private sealed class RefusingTransports : IDatagramTransportFactory
    {
        public IDatagramTransport Open(TransportSettings settings) => throw new IOException("no UDP socket for you");
    }

    private sealed class ControlSocket(List<string> steps) : IDisposable
    {
        public void Dispose() => steps.Add("control socket closed");
    }

    [Fact]
    public void StepsRunInOrderAndDisposeReleasesTheControlSocketBeforeTheTunnel()
    {
        var steps = new List<string>();
        var tunnel = new InMemoryTunnel();
        var assembled = InterfaceAssembly.Build(new InterfacePlan
        {
            Tunnel = () => { steps.Add("tunnel"); return tunnel; },
            Transports = new InMemoryNetwork().Host("10.0.0.1"),
            Logger = new CapturingLogger(),
            Configure = _ => steps.Add("configure"),
            ControlSocket = _ => { steps.Add("control socket"); return new ControlSocket(steps); },
            Started = _ => steps.Add("started"),
        });
        Assert.Equal(["tunnel", "configure", "control socket", "started"], steps);
        Assert.True(tunnel.Exists);
        assembled.Dispose();
        Assert.Equal("control socket closed", steps[^1]);
        Assert.False(tunnel.Exists);
    }

    [Fact]
    public void ADeviceThatCannotOpenItsSocketsReleasesTheTunnelAndNamesTheStep()
    {
        var tunnel = new InMemoryTunnel();
        bool configured = false;
        var e = Assert.Throws<InterfaceAssemblyException>(() => InterfaceAssembly.Build(new InterfacePlan
        {
            Tunnel = () => tunnel,
            Transports = new RefusingTransports(),
            Logger = new CapturingLogger(),
            Configure = _ => configured = true,
        }));
        Assert.Equal(InterfaceAssemblyStep.Device, e.Step);
        Assert.Equal("no UDP socket for you", e.Cause.Message);
        Assert.False(tunnel.Exists);
        Assert.False(configured);
    }

    [Fact]
    public void AControlSocketThatCannotOpenReleasesTheDeviceAndNamesTheStep()
    {
        var tunnel = new InMemoryTunnel();
        bool started = false;
        var e = Assert.Throws<InterfaceAssemblyException>(() => InterfaceAssembly.Build(new InterfacePlan
        {
            Tunnel = () => tunnel,
            Transports = new InMemoryNetwork().Host("10.0.0.1"),
            Logger = new CapturingLogger(),
            ControlSocket = _ => throw new UnauthorizedAccessException("socket directory not writable"),
            Started = _ => started = true,
        }));
        Assert.Equal(InterfaceAssemblyStep.ControlSocket, e.Step);
        Assert.IsType<UnauthorizedAccessException>(e.Cause);
        Assert.False(tunnel.Exists);
        Assert.False(started);
    }

    [Fact]
    public void ACancelledStartIsACancellationAndLeavesNothing()
    {
        var steps = new List<string>();
        var tunnel = new InMemoryTunnel();
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => InterfaceAssembly.Build(new InterfacePlan
        {
            Tunnel = () => tunnel,
            Transports = new InMemoryNetwork().Host("10.0.0.1"),
            Logger = new CapturingLogger(),
            Configure = _ => cancel.Cancel(),
            ControlSocket = _ => new ControlSocket(steps),
        }, cancel.Token));
        Assert.Empty(steps); // no control socket was opened
        Assert.False(tunnel.Exists);
    }
}
