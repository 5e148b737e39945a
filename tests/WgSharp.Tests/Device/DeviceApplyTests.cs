using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Linux;
using WgSharp.Tests.Device.InMemory;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Device;

/// <summary>
/// A configuration change is all or nothing (issue 11, item 3): the fallible steps run on new resources
/// first, and when one fails the transport in service, its port, mark and namespace stay as they were.
/// </summary>
public class DeviceApplyTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public void ANewPortWhoseFwMarkFailsLeavesTheOldPortAndSocketInService()
    {
        using var pair = new InMemoryPair();
        var before = pair.A.Device.Transport;
        ushort port = before.Port;
        pair.A.Host.RefuseFwMark = true;

        var result = pair.A.Device.Apply(new DeviceUpdate { ListenPort = 41234, FwMark = 5 });

        Assert.False(result.IsOk);
        Assert.Contains("cannot listen on port 41234", result.Message);
        Assert.Same(before, pair.A.Device.Transport);
        Assert.Equal(port, pair.A.Device.Transport.Port);
        Assert.Equal(0u, pair.A.Device.Transport.FwMark);
        Assert.Same(before, pair.A.Host.OpenTransports.Single()); // the half-made transport was closed again
        AssertTrafficFlows(pair);
    }

    [Fact]
    public void AFwMarkAloneThatFailsChangesNothing()
    {
        using var pair = new InMemoryPair();
        pair.A.Host.RefuseFwMark = true;
        var result = pair.A.Device.Apply(new DeviceUpdate { FwMark = 7, Debug = false });
        Assert.False(result.IsOk);
        Assert.Equal(0u, pair.A.Device.GetStatus().FwMark);
        Assert.True(pair.A.Device.DebugEnabled); // the rest of the update was not applied either
        AssertTrafficFlows(pair);
    }

    [Fact]
    public void ARoutingTableThatCannotBeOpenedLeavesTheOldTransport()
    {
        using var pair = new InMemoryPair();
        var before = pair.A.Device.Transport;
        pair.A.Host.RefuseRoutingTables = true;
        var result = pair.A.Device.Apply(new DeviceUpdate { RTable = 3 });
        Assert.False(result.IsOk);
        Assert.Same(before, pair.A.Device.Transport);
        Assert.Equal(0, pair.A.Device.GetStatus().RTable);
        AssertTrafficFlows(pair);
    }

    [Fact]
    public void APortChangeSwapsInANewTransportAndClosesTheOld()
    {
        using var pair = new InMemoryPair();
        var before = (InMemoryTransport)pair.A.Device.Transport;
        pair.A.Apply(new DeviceUpdate { ListenPort = 41235, FwMark = 9 });
        Assert.True(before.IsDisposed);
        Assert.Equal(41235, pair.A.Device.Transport.Port);
        Assert.Equal(9u, pair.A.Device.Transport.FwMark);
        pair.B.SetPeer(pair.A, InMemoryPair.InnerA + "/32"); // tell B the new endpoint
        AssertTrafficFlows(pair);
    }

    private static void AssertTrafficFlows(InMemoryPair pair)
    {
        var a = IPAddress.Parse(InMemoryPair.InnerA);
        var b = IPAddress.Parse(InMemoryPair.InnerB);
        pair.A.Tunnel.Inject(TestPackets.Tcp(a, b, 1, 0, 100));
        Assert.Equal(0, TestPackets.SequenceOf(pair.B.Tunnel.NextWritten(HangGuard)));
        pair.B.Tunnel.Inject(TestPackets.Tcp(b, a, 2, 0, 100));
        Assert.Equal(0, TestPackets.SequenceOf(pair.A.Tunnel.NextWritten(HangGuard)));
    }
}

/// <summary>The same all-or-nothing rule with real sockets and namespaces, SO_MARK made to fail by dropping CAP_NET_ADMIN.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class LinuxDeviceApplyTests
{
    [Fact]
    public void ANewPortWhoseFwMarkIsRefusedLeavesTheOldSocketsBound()
    {
        using var netns = NetworkNamespace.Create();
        using var device = new WireGuardDevice(new InMemoryTunnel(), new LinuxDatagramTransportFactory(netns.Name), new CapturingLogger());
        var before = (LinuxDatagramTransport)device.Transport;
        ushort oldPort = before.Port;
        ushort newPort = FreePort(netns);

        var result = WithoutNetAdmin(() => device.Apply(new DeviceUpdate { ListenPort = newPort, FwMark = 5 }));

        Assert.False(result.IsOk);
        Assert.Same(before, device.Transport);
        Assert.Equal(oldPort, device.Transport.Port);
        Assert.True(before.Sockets.IsBound);
        Assert.Equal(0u, before.Sockets.ReadFwMark(WgSharp.Device.IO.UdpFamily.IPv4));
        // The new port was let go again, and the old one is still taken by the device.
        netns.Run(() => { using var s = Bind(newPort); return 0; });
        Assert.Throws<SocketException>(() => netns.Run(() => { using var s = Bind(oldPort); return 0; }));
    }

    [Fact]
    public void ARoutingTableChangeThatFailsLeavesNoNewNamespaceBehind()
    {
        using var lease = RDomainLease.Take(); // a table whose namespace does not exist, and no other test's
        string rdomain = lease.Namespace;
        using var netns = NetworkNamespace.Create();
        using var device = new WireGuardDevice(new InMemoryTunnel(), new LinuxDatagramTransportFactory(netns.Name), new CapturingLogger());
        device.Apply(new DeviceUpdate { FwMark = 5 }); // a mark the new namespace's sockets must get too
        var before = device.Transport;
        try
        {
            var result = WithoutNetAdmin(() => device.Apply(new DeviceUpdate { RTable = lease.Number }));
            Assert.False(result.IsOk);
            Assert.False(NetNs.Exists(rdomain));
            Assert.Same(before, device.Transport);
            Assert.Equal(0, device.GetStatus().RTable);
        }
        finally
        {
            NetNs.Delete(rdomain);
        }
    }

    private static Socket Bind(ushort port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        return socket;
    }

    private static ushort FreePort(NetworkNamespace netns) =>
        netns.Run(() => { using var s = Bind(0); return (ushort)((IPEndPoint)s.LocalEndPoint!).Port; });

    /// <summary>
    /// Runs <paramref name="action"/> on a thread without CAP_NET_ADMIN and CAP_NET_RAW in its effective set
    /// (capabilities are per thread on Linux), so SO_MARK fails with EPERM there as it does for an
    /// unprivileged daemon; programs it starts (ip netns) get full capabilities again as root.
    /// </summary>
    private static T WithoutNetAdmin<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                DropEffective(CapNetAdmin, CapNetRaw);
                result = action();
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the action failed", failure);
        return result;
    }

    private const int CapNetAdmin = 12, CapNetRaw = 13;
    private const uint CapabilityVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData { public uint Effective, Permitted, Inheritable; }

    [DllImport("libc", SetLastError = true)]
    private static extern int capget(ref CapHeader header, [In, Out] CapData[] data);

    [DllImport("libc", SetLastError = true)]
    private static extern int capset(ref CapHeader header, CapData[] data);

    private static void DropEffective(params int[] capabilities)
    {
        var header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
        var data = new CapData[2];
        if (capget(ref header, data) != 0) throw new InvalidOperationException($"capget: errno {Marshal.GetLastPInvokeError()}");
        foreach (int cap in capabilities) data[cap / 32].Effective &= ~(1u << (cap % 32));
        header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
        if (capset(ref header, data) != 0) throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
    }
}
