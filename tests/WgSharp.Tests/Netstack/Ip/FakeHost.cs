using WgSharp.Device.IO;
using WgSharp.Netstack;
using WgSharp.Packets;

namespace WgSharp.Tests.Netstack.Ip;

/// <summary>
/// An <see cref="INetstackHost"/> for layer tests: a manual clock, local addresses 10.0.0.2 and fd00::2, every
/// destination routed (unless <see cref="Routed"/> says otherwise), and what the layer sent collected for inspection.
/// </summary>
internal sealed class FakeHost : INetstackHost
{
    public static readonly byte[] LocalV4 = [10, 0, 0, 2];
    public static readonly byte[] LocalV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    public static readonly byte[] RemoteV4 = [10, 0, 0, 1];
    public static readonly byte[] RemoteV6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    public long NowMs { get; set; } = 1_000_000;
    public int Mtu { get; set; } = 1420;
    public NetstackCounters Counters { get; } = new();
    public List<byte[]> Sent { get; } = [];
    public List<StackSocket> OutputRequests { get; } = [];
    public List<(StackSocket Socket, long DeadlineMs)> Timers { get; } = [];
    /// <summary>Which destinations route; null: all (and no allocation on the send path).</summary>
    public Func<byte[], bool>? Routed { get; set; }
    public bool SendQueueFull { get; set; }

    public void RequestOutput(StackSocket socket)
    {
        lock (OutputRequests) OutputRequests.Add(socket);
    }

    public void ScheduleTimer(StackSocket socket, long deadlineMs)
    {
        lock (Timers) Timers.Add((socket, deadlineMs));
    }

    public bool TrySendPacket(ReadOnlySpan<byte> packet)
    {
        if (SendQueueFull || packet.Length > Mtu)
        {
            Counters.Increment(NetstackCounter.OutputQueueFull);
            return false;
        }
        lock (Sent) Sent.Add(packet.ToArray());
        return true;
    }

    public bool IsLocalAddress(ReadOnlySpan<byte> address) => address.SequenceEqual(LocalV4) || address.SequenceEqual(LocalV6);

    public bool TrySelectSource(in UdpEndpoint destination, out UdpEndpoint source)
    {
        source = UdpEndpoint.Create(destination.IsIPv4 ? LocalV4 : LocalV6, 0);
        return true;
    }

    public bool HasRoute(ReadOnlySpan<byte> destination) => Routed is null || Routed(destination.ToArray());
}
