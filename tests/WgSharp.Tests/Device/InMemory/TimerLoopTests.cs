using System.Net;
using Microsoft.Extensions.Time.Testing;
using WgSharp.Device;
using WgSharp.Protocol;
using Xunit;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>
/// The timer thread on a fake clock: it sleeps until the earliest deadline (no tick), is woken when a deadline
/// is armed earlier than the one it sleeps for, and fires exactly when the clock passes a deadline.
/// </summary>
public class TimerLoopTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    // REKEY_TIMEOUT plus the largest jitter: a retry is due once the clock passed this.
    private static readonly TimeSpan RetryDue = ProtocolConstants.RekeyTimeout + ProtocolConstants.RekeyTimeoutJitterMax;

    [Fact]
    public void AHandshakeIsRetriedWhenTheClockPassesItsDeadline()
    {
        var clock = new FakeTimeProvider();
        var options = new DeviceOptions { Debug = true, TimeProvider = clock };
        using var pair = new InMemoryPair(options, options);
        pair.Network.Filter = (_, _, _) => false; // the network swallows everything: the handshake never completes
        pair.A.Tunnel.Inject(TestPackets.Tcp(IPAddress.Parse(InMemoryPair.InnerA), IPAddress.Parse(InMemoryPair.InnerB), 1, 0, 200));
        Assert.True(DaemonWait.Until(() => pair.A.Log.Matching("Sending handshake initiation").Count == 1, HangGuard), pair.A.Log.Text);

        // The thread slept with nothing armed; the initiation armed the retry and woke it to sleep until then.
        for (int attempt = 2; attempt <= 4; attempt++)
        {
            clock.Advance(RetryDue);
            string retry = $"retrying (try {attempt})";
            Assert.True(DaemonWait.Until(() => pair.A.Log.Text.Contains(retry, StringComparison.Ordinal), HangGuard), pair.A.Log.Text);
        }
    }

    /// <summary>
    /// The retry schedule of a peer that never answers, on a fake clock (so a loaded machine cannot stretch it): no retry
    /// before REKEY_TIMEOUT has passed, one once REKEY_TIMEOUT plus the largest jitter has, and after REKEY_ATTEMPT_TIME
    /// the peer is given up and its staged packets dropped. (The netns test of the same peer checks the real network
    /// path; its wall-clock spacing was a timing assertion a stalled test host broke.)
    /// </summary>
    [Fact]
    public void APeerThatNeverAnswersIsRetriedNoSoonerThanRekeyTimeoutNoLaterThanItsJitterThenGivenUp()
    {
        var clock = new FakeTimeProvider();
        var options = new DeviceOptions { Debug = true, TimeProvider = clock };
        using var pair = new InMemoryPair(options, options);
        pair.Network.Filter = (_, _, _) => false;
        pair.A.Tunnel.Inject(TestPackets.Tcp(IPAddress.Parse(InMemoryPair.InnerA), IPAddress.Parse(InMemoryPair.InnerB), 1, 0, 200));
        Assert.True(DaemonWait.Until(() => pair.A.Log.Matching("Sending handshake initiation").Count == 1, HangGuard), pair.A.Log.Text);
        var peer = pair.A.PeerFor(pair.B);
        Assert.True(peer.StagedCount > 0);

        var almost = ProtocolConstants.RekeyTimeout - TimeSpan.FromMilliseconds(1);
        int retries = 0;
        while (pair.A.Log.Matching("giving up").Count == 0)
        {
            Assert.True(retries <= ProtocolConstants.MaxHandshakeAttempts + 1, pair.A.Log.Text);
            int initiations = pair.A.Log.Matching("Sending handshake initiation").Count;
            clock.Advance(almost);
            // Not due yet: a correct loop never fires here; one that fired early would do it at once.
            Thread.Sleep(50);
            Assert.Equal(initiations, pair.A.Log.Matching("Sending handshake initiation").Count);
            clock.Advance(RetryDue - almost);
            Assert.True(DaemonWait.Until(() => pair.A.Log.Matching("Sending handshake initiation").Count > initiations
                || pair.A.Log.Matching("giving up").Count > 0, HangGuard), pair.A.Log.Text);
            if (pair.A.Log.Matching("giving up").Count == 0) retries++;
        }

        Assert.InRange(retries, ProtocolConstants.MaxHandshakeAttempts - 2, ProtocolConstants.MaxHandshakeAttempts + 1);
        Assert.True(DaemonWait.Until(() => peer.StagedCount == 0, HangGuard), "the staged packets of a peer given up are dropped");
    }

    [Fact]
    public void APersistentKeepaliveGoesOutEachTimeTheClockPassesItsInterval()
    {
        var clock = new FakeTimeProvider();
        var options = new DeviceOptions { Debug = true, TimeProvider = clock };
        using var pair = new InMemoryPair(options, options);
        pair.A.SetPeer(pair.B, InMemoryPair.InnerB + "/32", persistentKeepalive: 25); // one at once, then every 25 s
        Assert.True(DaemonWait.Until(() => pair.B.Log.Matching("Receiving keepalive packet").Count == 1, HangGuard), pair.B.Log.Text);

        for (int expected = 2; expected <= 4; expected++)
        {
            clock.Advance(TimeSpan.FromSeconds(25));
            int want = expected;
            Assert.True(DaemonWait.Until(() => pair.B.Log.Matching("Receiving keepalive packet").Count >= want, HangGuard), pair.B.Log.Text);
        }
    }
}
