using System.Net;
using WgSharp.Device;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Two in-process wgsharp peers whose only path is a fault-injecting <see cref="UdpRelay"/> in namespace A:
/// A's endpoint for B is the relay; B is given A's direct address, but nft in B drops everything to and
/// from A's listen port, so B can only reach A through the relay (after roaming to it).
/// </summary>
internal sealed class RelayedPair : IDisposable
{
    public RelayedPair(UdpFaults faults, DeviceOptions? options = null)
    {
        Net = new TwoNamespaces();
        A = WgSharpPeer.Start(Net.A, options);
        B = WgSharpPeer.Start(Net.B, options);
        Relay = new UdpRelay(new IPEndPoint(IPAddress.Parse(OuterA4), 0), new IPEndPoint(IPAddress.Parse(OuterB4), B.ListenPort), faults, Net.A);
        DirectPathBlock = NftBlock.RemoteUdpPort(Net.B, A.ListenPort);
        A.SetPeer(B.PublicKey, $"{InnerB4}/32", Relay.ListenEndPoint.ToString());
        B.SetPeer(A.PublicKey, $"{InnerA4}/32", $"{OuterA4}:{A.ListenPort}");
        A.AddAddressAndUp($"{InnerA4}/24");
        B.AddAddressAndUp($"{InnerB4}/24");
    }

    public TwoNamespaces Net { get; }
    public WgSharpPeer A { get; }
    public WgSharpPeer B { get; }
    public UdpRelay Relay { get; }
    public NftBlock DirectPathBlock { get; }

    /// <summary>A's view of B and B's view of A both point at the relay (never at the direct addresses).</summary>
    public void AssertEndpointsOnRelay()
    {
        Assert.Equal(Relay.ListenEndPoint.ToString(), A.PeerFor(B.PublicKey).Endpoint.ToString());
        var seenByB = B.PeerFor(A.PublicKey).Endpoint;
        Assert.Equal(OuterA4, seenByB.Address.ToString());
        Assert.NotEqual(A.ListenPort, seenByB.Port);
    }

    public string Describe() =>
        $"relay: received={Relay.Received} forwarded={Relay.Forwarded} dropped={Relay.Dropped} duplicated={Relay.Duplicated} reordered={Relay.Reordered}\n" +
        $"A: {A.Device.Counters}\nB: {B.Device.Counters}";

    public void Dispose()
    {
        Relay.Dispose();
        A.Dispose();
        B.Dispose();
        DirectPathBlock.Dispose();
        Net.Dispose();
    }
}
