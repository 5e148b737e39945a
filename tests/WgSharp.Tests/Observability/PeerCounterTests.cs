using System.Net;
using WgSharp.Control.Uapi;
using WgSharp.Device;
using WgSharp.Tests.Device.InMemory;

namespace WgSharp.Tests.Observability;

/// <summary>Drops and handshakes are counted for the peer they concern as well as for the interface, and reach the status.</summary>
public class PeerCounterTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private static readonly IPAddress InnerA = IPAddress.Parse(InMemoryPair.InnerA), InnerB = IPAddress.Parse(InMemoryPair.InnerB);

    private static byte[] Packet(IPAddress from, IPAddress to, long sequence) => TestPackets.Tcp(from, to, 1, sequence, 200);

    private static ulong Count(IReadOnlyList<KeyValuePair<string, ulong>> counters, string name) =>
        counters.Single(c => c.Key == name).Value;

    [Fact]
    public void HandshakesAndAnUnallowedSourceAreCountedForThePeerAndTheInterface()
    {
        using var pair = new InMemoryPair();
        pair.B.Tunnel.Inject(Packet(InnerB, InnerA, 0));
        pair.A.Tunnel.NextWritten(HangGuard);
        pair.B.SetPeer(pair.A, "10.0.0.0/24");
        pair.B.Tunnel.Inject(Packet(IPAddress.Parse("10.0.0.77"), InnerA, 1), Packet(InnerB, InnerA, 2));
        Assert.Equal(2, TestPackets.SequenceOf(pair.A.Tunnel.NextWritten(HangGuard)));

        var bOnA = pair.A.PeerFor(pair.B).Counters;
        var aOnB = pair.B.PeerFor(pair.A).Counters;
        Assert.Equal(1, bOnA[Counter.UnallowedSource]);
        Assert.Equal(1, pair.A.Device.Counters[Counter.UnallowedSource]);
        // B initiated, A responded: one handshake message each way.
        Assert.Equal(1, aOnB[Counter.HandshakesSent]);
        Assert.Equal(1, aOnB[Counter.HandshakesReceived]);
        Assert.Equal(1, bOnA[Counter.HandshakesSent]);
        Assert.Equal(1, bOnA[Counter.HandshakesReceived]);
        Assert.Equal(1, pair.A.Device.Counters[Counter.HandshakesSent]);

        var status = pair.A.Device.GetStatus();
        var peer = Assert.Single(status.Peers);
        Assert.Equal(1ul, Count(peer.Counters, CounterNames.UnallowedSource));
        Assert.Equal(1ul, Count(peer.Counters, CounterNames.HandshakesReceived));
        Assert.Equal(1ul, Count(status.Counters, CounterNames.UnallowedSource));
        Assert.NotNull(peer.KeypairAge);
        Assert.True(peer.KeypairAge >= TimeSpan.Zero);
    }

    [Fact]
    public void GetWgsharpCarriesTheCountersAndGet1DoesNot()
    {
        using var pair = new InMemoryPair();
        pair.A.Tunnel.Inject(Packet(InnerA, InnerB, 0), Packet(InnerA, IPAddress.Parse("10.9.9.9"), 1));
        pair.B.Tunnel.NextWritten(HangGuard);
        var status = pair.A.Device.GetStatus();

        string plain = UapiGetFormatter.FormatReply(status);
        Assert.DoesNotContain("count_", plain);
        Assert.DoesNotContain(UapiProtocol.KeypairAgeKey, plain);

        string extended = UapiGetFormatter.FormatReply(status, extensions: true);
        Assert.Contains("count_no_route=1\n", extended);
        var parsed = UapiGetParser.Parse("wgA", extended);
        Assert.Equal(status.Counters, parsed.Counters);
        Assert.Equal(status.Peers[0].Counters, parsed.Peers[0].Counters);
        Assert.Equal((long)status.Peers[0].KeypairAge!.Value.TotalMilliseconds, (long)parsed.Peers[0].KeypairAge!.Value.TotalMilliseconds);
    }
}
