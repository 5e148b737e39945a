using WgSharp.Device;

namespace WgSharp.Tests.Device;

/// <summary>
/// The one counter set behind the interface's and each peer's counters: the names and their order are what
/// status, JSON, `get=wgsharp` and metrics print (so written out here, not derived), the list is a live view,
/// and the shared set of a peer that never counted reads zero.
/// </summary>
public class CounterSetTests
{
    private static readonly string[] DeviceNames =
    [
        "no_route", "unallowed_source", "invalid_inner", "decrypt_failed", "replayed", "unknown_index", "malformed",
        "staged_dropped", "handshake_rejected", "handshake_queue_full", "handshake_rate_limited", "cookie_replies_sent",
        "send_errors", "handshakes_sent", "handshakes_received", "handshakes_failed",
    ];

    private static readonly string[] PeerNames =
    [
        "unallowed_source", "invalid_inner", "decrypt_failed", "replayed", "staged_dropped", "send_errors",
        "handshakes_sent", "handshakes_received", "handshakes_failed",
    ];

    [Fact]
    public void TheDeviceShowsEveryCounterByNameInItsOrder()
    {
        Assert.Equal(DeviceNames, new DeviceCounters().Snapshot().Select(c => c.Key));
        Assert.Equal(DeviceNames, new CounterSet(CounterScope.Device).Select(c => c.Key));
        Assert.All(new DeviceCounters().Snapshot(), c => Assert.Equal(0ul, c.Value));
    }

    [Fact]
    public void APeerShowsItsCountersByNameInItsOrder()
    {
        Assert.Equal(PeerNames, new CounterSet(CounterScope.Peer).Select(c => c.Key));
        Assert.Equal(PeerNames.Length, CounterScope.Peer.Count);
    }

    [Fact]
    public void ThePeerWithoutCountsReadsZero()
    {
        var none = Peer.NoCounters;
        Assert.Equal(PeerNames, none.Select(c => c.Key));
        Assert.All(none, c => Assert.Equal(0ul, c.Value));
        Assert.All(CounterScope.Peer, counter => Assert.Equal(0, none[counter]));
    }

    [Fact]
    public void TheListIsALiveViewAndASnapshotIsACopy()
    {
        var counters = new CounterSet(CounterScope.Peer);
        IReadOnlyList<KeyValuePair<string, ulong>> view = counters;
        var before = counters.Snapshot();

        counters.Increment(Counter.Replayed);
        counters.Add(Counter.StagedDropped, 5);

        Assert.Equal(1, counters[Counter.Replayed]);
        Assert.Equal(5, counters[Counter.StagedDropped]);
        Assert.Equal(new KeyValuePair<string, ulong>("replayed", 1), view[3]);
        Assert.Equal(new KeyValuePair<string, ulong>("staged_dropped", 5), view[4]);
        Assert.Equal(6ul, view.Aggregate(0ul, (sum, c) => sum + c.Value));
        Assert.All(before, c => Assert.Equal(0ul, c.Value));
    }

    [Fact]
    public void TheDeviceCountsIntoItsOwnSet()
    {
        var counters = new DeviceCounters();
        counters.CountNoRoute();
        counters.CountStagedDropped(3);
        counters.CountReceiveQueueFull(2);

        Assert.Equal(1, counters[Counter.NoRoute]);
        Assert.Equal(3, counters[Counter.StagedDropped]);
        Assert.Equal(2, counters.ReceiveQueueFull);
        Assert.Equal(4ul, counters.Snapshot().Aggregate(0ul, (sum, c) => sum + c.Value)); // receive_queue_full is not shown
    }

    [Fact]
    public void APeerKeepsNoCounterOnlyTheDeviceCanTell()
    {
        var counters = new CounterSet(CounterScope.Peer);
        Assert.Throws<ArgumentOutOfRangeException>(() => counters.Increment(Counter.NoRoute));
        Assert.Throws<ArgumentOutOfRangeException>(() => counters[Counter.UnknownIndex]);
    }

    [Fact]
    public void EveryCounterHasItsOwnName()
    {
        var names = Enum.GetValues<Counter>().Select(CounterNames.Of).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(DeviceNames, names);
    }
}
