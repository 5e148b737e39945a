using System.Net;
using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Netstack.Tcp;
using WgSharp.Netstack.Udp;

namespace WgSharp.Tests.Netstack;

/// <summary>
/// Two userspace stacks wired back to back without WireGuard: what one sends (its tunnel output) is the other's input,
/// each direction on its own thread, as the device's reader and receive threads would carry it. An optional filter sees
/// (and may drop) every packet, for loss and for inspecting what went over the wire.
/// </summary>
internal sealed class NetstackPair : IDisposable
{
    /// <summary>Sees every packet from <paramref name="fromA"/>'s side; return false to drop it.</summary>
    public delegate bool PacketFilter(bool fromA, ReadOnlySpan<byte> packet);

    public static readonly IPNetwork AddressA4 = IPNetwork.Parse("10.99.0.1/32");
    public static readonly IPNetwork AddressB4 = IPNetwork.Parse("10.99.0.2/32");
    public static readonly IPNetwork AddressA6 = IPNetwork.Parse("fd99::1/128");
    public static readonly IPNetwork AddressB6 = IPNetwork.Parse("fd99::2/128");

    private readonly Thread _aToB, _bToA;
    private readonly PacketBatch _batchA, _batchB;

    public NetstackPair(int mtu = 1420, TcpSettings? tcp = null, UdpSettings? udp = null, PacketFilter? filter = null, IReadOnlyList<IPAddress>? dnsServersOfA = null)
    {
        Filter = filter;
        A = new WgSharp.Netstack.Netstack(new NetstackOptions
        {
            Addresses = [AddressA4, AddressA6], Mtu = mtu, Tcp = tcp ?? new(), Udp = udp ?? new(), DnsServers = dnsServersOfA ?? [],
        });
        B = new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [AddressB4, AddressB6], Mtu = mtu, Tcp = tcp ?? new(), Udp = udp ?? new() });
        _batchA = new PacketBatch(64, mtu);
        _batchB = new PacketBatch(64, mtu);
        _aToB = new Thread(() => Carry(A, B, _batchA, fromA: true)) { IsBackground = true, Name = "netstack-pair a->b" };
        _bToA = new Thread(() => Carry(B, A, _batchB, fromA: false)) { IsBackground = true, Name = "netstack-pair b->a" };
        _aToB.Start();
        _bToA.Start();
    }

    public WgSharp.Netstack.Netstack A { get; }
    public WgSharp.Netstack.Netstack B { get; }

    /// <summary>Replaceable while running (a volatile read per packet).</summary>
    public PacketFilter? Filter { get; set; }

    public static UdpEndpoint Endpoint(IPNetwork address, int port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(address.BaseAddress, port));

    private void Carry(WgSharp.Netstack.Netstack from, WgSharp.Netstack.Netstack to, PacketBatch batch, bool fromA)
    {
        while (true)
        {
            int n = from.ReadOutput(batch);
            if (n < 0 || to.IsDisposed) return;
            for (int i = 0; i < n; i++)
            {
                var packet = batch.Packet(i);
                if (Filter is { } filter && !filter(fromA, packet)) continue;
                to.Input(packet);
            }
        }
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        _aToB.Join();
        _bToA.Join();
        _batchA.Dispose();
        _batchB.Dispose();
    }
}
