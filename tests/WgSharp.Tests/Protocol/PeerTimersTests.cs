using WgSharp.Protocol;
using WgSharp.Protocol.Timers;

namespace WgSharp.Tests.Protocol;

/// <summary>The timer rules of whitepaper section 6, on the pure state machine and through a peer.</summary>
public class PeerTimersTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Jitter = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan T0 = TimeSpan.FromMinutes(10);

    private static PeerTimers NewTimers() => new(() => Jitter);

    [Fact]
    public void HandshakeIsRetriedEveryRekeyTimeoutPlusJitter()
    {
        var timers = NewTimers();
        timers.HandshakeInitiated(T0);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5) + Jitter, timers.RetransmitHandshakeAt);
        Assert.Equal(timers.RetransmitHandshakeAt, timers.NextDeadline);
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromSeconds(5) + Jitter - Ms));
        Assert.Equal(TimerActions.RetryHandshake, timers.Poll(T0 + TimeSpan.FromSeconds(5) + Jitter));
        Assert.Equal(1, timers.HandshakeAttempts);
        Assert.Null(timers.RetransmitHandshakeAt);
        // A completed handshake stops the retries.
        timers.HandshakeInitiated(T0 + TimeSpan.FromSeconds(6));
        timers.HandshakeComplete();
        Assert.Null(timers.RetransmitHandshakeAt);
        Assert.Equal(0, timers.HandshakeAttempts);
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void ArmingReportsToTheOwnerAndTheNextDeadlineIsReadableWithoutPolling()
    {
        var timers = NewTimers();
        var owner = new object();
        var reports = new List<object?>();
        timers.Armed = reports.Add;
        timers.ArmedState = owner;
        Assert.Equal(long.MaxValue, timers.NextDeadlineTicks); // a new peer: nothing to poll
        Assert.Null(timers.NextDeadline);

        timers.DataSent(T0); // new handshake in 15 s + jitter
        timers.HandshakeInitiated(T0); // retry in 5 s + jitter: the earlier one
        Assert.Equal((T0 + TimeSpan.FromSeconds(5) + Jitter).Ticks, timers.NextDeadlineTicks);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.Same(owner, r));

        timers.HandshakeComplete(); // the retry is off; the 15 s one is still armed
        Assert.Equal((T0 + TimeSpan.FromSeconds(15) + Jitter).Ticks, timers.NextDeadlineTicks);
        reports.Clear();
        timers.StopAll();
        Assert.Equal(long.MaxValue, timers.NextDeadlineTicks);
        Assert.Empty(reports); // disarming everything is not reported
    }

    [Fact]
    public void DefaultJitterStaysWithin0To333Milliseconds()
    {
        var seen = new HashSet<TimeSpan>();
        for (int i = 0; i < 3000; i++)
        {
            var timers = new PeerTimers();
            timers.HandshakeInitiated(T0);
            var jitter = timers.RetransmitHandshakeAt!.Value - T0 - ProtocolConstants.RekeyTimeout;
            Assert.InRange(jitter, TimeSpan.Zero, TimeSpan.FromMilliseconds(333));
            seen.Add(jitter);
        }
        // It is really random across its range, not a constant.
        Assert.True(seen.Count > 100, $"only {seen.Count} distinct jitters");
        Assert.Contains(seen, j => j >= TimeSpan.FromMilliseconds(300));
        Assert.Contains(seen, j => j <= TimeSpan.FromMilliseconds(33));
    }

    [Fact]
    public void GivesUpAfterMaxHandshakeAttempts()
    {
        var timers = NewTimers();
        var now = T0;
        timers.DataReceived(now); // a pending keepalive that giving up must cancel
        timers.HandshakeInitiated(now);
        int retries = 0;
        TimerActions actions;
        while (true)
        {
            now = timers.RetransmitHandshakeAt!.Value;
            actions = timers.Poll(now) & (TimerActions.RetryHandshake | TimerActions.GiveUpHandshake);
            if (actions != TimerActions.RetryHandshake) break;
            retries++;
            timers.HandshakeInitiated(now); // the device sends the retry
        }
        Assert.Equal(TimerActions.GiveUpHandshake, actions);
        // As in the reference implementations: retries continue while attempts <= MAX_TIMER_HANDSHAKES (18),
        // so 19 retries, 20 initiations in all (Linux logs "did not complete after 20 attempts").
        Assert.Equal(ProtocolConstants.MaxHandshakeAttempts + 1, retries);
        Assert.Equal(19, retries);
        Assert.Equal(T0 + 20 * (ProtocolConstants.RekeyTimeout + Jitter), now);
        Assert.Null(timers.RetransmitHandshakeAt);
        Assert.Null(timers.SendKeepaliveAt);
        Assert.Equal(now + 3 * ProtocolConstants.RejectAfterTime, timers.ZeroKeyMaterialAt);
        Assert.Equal(TimerActions.ZeroKeyMaterial, timers.Poll(now + 3 * ProtocolConstants.RejectAfterTime));
    }

    [Fact]
    public void ANewHandshakeRestartsTheAttemptCount()
    {
        var h = new ProtocolHarness();
        var peer = h.A.Peer;
        Assert.NotNull(h.Initiate(h.A));
        for (int i = 0; i < 10; i++)
        {
            h.Clock.Advance(peer.Timers.RetransmitHandshakeAt!.Value - h.Clock.Now);
            Assert.Equal(TimerActions.RetryHandshake, peer.PollTimers(h.A.Engine, h.Clock.Now));
            Assert.NotNull(h.Initiate(h.A, isRetry: true));
        }
        Assert.Equal(10, peer.Timers.HandshakeAttempts);
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        Assert.NotNull(h.Initiate(h.A, isRetry: false));
        Assert.Equal(0, peer.Timers.HandshakeAttempts);
    }

    [Fact]
    public void PeerThatNeverAnswersIsGivenUpOnAfterAboutRekeyAttemptTime()
    {
        var h = new ProtocolHarness();
        var start = h.Clock.Now;
        Assert.NotNull(h.Initiate(h.A));
        int sent = 1;
        while (true)
        {
            h.Clock.Advance(h.A.Peer.Timers.RetransmitHandshakeAt!.Value - h.Clock.Now);
            var actions = h.A.Peer.PollTimers(h.A.Engine, h.Clock.Now);
            if ((actions & TimerActions.GiveUpHandshake) != 0) break;
            Assert.Equal(TimerActions.RetryHandshake, actions);
            Assert.NotNull(h.Initiate(h.A, isRetry: true));
            sent++;
        }
        Assert.Equal(2 + ProtocolConstants.MaxHandshakeAttempts, sent);
        Assert.Equal(20 * (ProtocolConstants.RekeyTimeout + ProtocolHarness.Jitter), h.Clock.Now - start);
        Assert.True(h.Clock.Now - start > ProtocolConstants.RekeyAttemptTime);
        // Only the last initiation's index is registered.
        Assert.Equal(1, h.A.Engine.Indices.Count);
    }

    [Fact]
    public void KeepaliveAfterTenSecondsOfOnlyReceiving()
    {
        var timers = NewTimers();
        timers.DataReceived(T0);
        Assert.Equal(T0 + ProtocolConstants.KeepaliveTimeout, timers.SendKeepaliveAt);
        Assert.Equal(TimerActions.None, timers.Poll(T0 + ProtocolConstants.KeepaliveTimeout - Ms));
        Assert.Equal(TimerActions.SendKeepalive, timers.Poll(T0 + ProtocolConstants.KeepaliveTimeout));
        Assert.Null(timers.SendKeepaliveAt);

        // Sending anything in the meantime makes the keepalive unnecessary.
        timers.DataReceived(T0 + TimeSpan.FromSeconds(20));
        timers.AnyAuthenticatedPacketSent();
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromSeconds(40)));
    }

    [Fact]
    public void DataReceivedWhileAKeepaliveIsPendingAsksForAnotherOne()
    {
        var timers = NewTimers();
        timers.DataReceived(T0);
        Assert.False(timers.NeedAnotherKeepalive);
        timers.DataReceived(T0 + TimeSpan.FromSeconds(3));
        Assert.True(timers.NeedAnotherKeepalive);
        Assert.Equal(T0 + ProtocolConstants.KeepaliveTimeout, timers.SendKeepaliveAt); // not pushed back

        var first = T0 + ProtocolConstants.KeepaliveTimeout;
        Assert.Equal(TimerActions.SendKeepalive, timers.Poll(first));
        Assert.False(timers.NeedAnotherKeepalive);
        Assert.Equal(first + ProtocolConstants.KeepaliveTimeout, timers.SendKeepaliveAt);
        Assert.Equal(TimerActions.SendKeepalive, timers.Poll(first + ProtocolConstants.KeepaliveTimeout));
        Assert.Null(timers.SendKeepaliveAt);
        Assert.Equal(TimerActions.None, timers.Poll(first + TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void SendingWithoutAnyReplyStartsANewHandshakeAfterFifteenSeconds()
    {
        var timers = NewTimers();
        timers.DataSent(T0);
        var due = T0 + ProtocolConstants.KeepaliveTimeout + ProtocolConstants.RekeyTimeout + Jitter;
        Assert.Equal(T0 + TimeSpan.FromSeconds(15) + Jitter, due);
        timers.DataSent(T0 + TimeSpan.FromSeconds(4)); // more sending does not postpone it
        Assert.Equal(due, timers.NewHandshakeAt);
        Assert.Equal(TimerActions.None, timers.Poll(due - Ms));
        Assert.Equal(TimerActions.NewHandshake, timers.Poll(due));

        // Any authenticated reply cancels it.
        timers.DataSent(T0 + TimeSpan.FromSeconds(30));
        timers.AnyAuthenticatedPacketReceived();
        Assert.Null(timers.NewHandshakeAt);
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void PersistentKeepaliveFiresAfterTheIntervalOfSilence()
    {
        var timers = NewTimers();
        timers.AnyAuthenticatedPacketTraversal(T0);
        Assert.Null(timers.PersistentKeepaliveAt); // off by default

        timers.PersistentKeepaliveInterval = 25;
        timers.AnyAuthenticatedPacketTraversal(T0);
        timers.AnyAuthenticatedPacketTraversal(T0 + TimeSpan.FromSeconds(10)); // traffic restarts the countdown
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromSeconds(25)));
        Assert.Equal(TimerActions.SendPersistentKeepalive, timers.Poll(T0 + TimeSpan.FromSeconds(35)));
        Assert.Null(timers.PersistentKeepaliveAt);

        // Turned off while armed: nothing is sent.
        timers.AnyAuthenticatedPacketTraversal(T0 + TimeSpan.FromSeconds(40));
        timers.PersistentKeepaliveInterval = 0;
        Assert.Equal(TimerActions.None, timers.Poll(T0 + TimeSpan.FromSeconds(70)));
    }

    [Fact]
    public void KeyMaterialIsZeroedAfterThreeTimesRejectAfterTime()
    {
        var timers = NewTimers();
        timers.SessionDerived(T0);
        var due = T0 + TimeSpan.FromSeconds(540);
        Assert.Equal(due, timers.ZeroKeyMaterialAt);
        Assert.Equal(TimerActions.None, timers.Poll(due - Ms));
        Assert.Equal(TimerActions.ZeroKeyMaterial, timers.Poll(due));
        // A newer session pushes it back.
        timers.SessionDerived(due);
        timers.SessionDerived(due + TimeSpan.FromSeconds(100));
        Assert.Equal(TimerActions.None, timers.Poll(due + TimeSpan.FromSeconds(540)));
    }

    [Fact]
    public void PollTimersReallyWipesTheKeys()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        h.Clock.Advance(TimeSpan.FromSeconds(6));
        h.CompleteHandshake(h.A);
        var keypairs = new[] { h.A.Peer.Keypairs.Current!, h.A.Peer.Keypairs.Previous!, h.B.Peer.Keypairs.Current!, h.B.Peer.Keypairs.Previous! };
        Assert.Equal(2, h.A.Engine.Indices.Count);
        var stale = h.SealOrFail(h.B, [1]);

        h.Clock.Advance(3 * ProtocolConstants.RejectAfterTime - Ms);
        Assert.Equal(TimerActions.None, h.A.Peer.PollTimers(h.A.Engine, h.Clock.Now) & TimerActions.ZeroKeyMaterial);
        Assert.NotNull(h.A.Peer.Keypairs.Current);

        h.Clock.Advance(Ms);
        foreach (var side in new[] { h.A, h.B })
        {
            Assert.True((side.Peer.PollTimers(side.Engine, h.Clock.Now) & TimerActions.ZeroKeyMaterial) != 0);
            Assert.Null(side.Peer.Keypairs.Current);
            Assert.Null(side.Peer.Keypairs.Previous);
            Assert.Null(side.Peer.Keypairs.Next);
            Assert.Equal(0, side.Engine.Indices.Count);
        }
        Assert.All(keypairs, k => Assert.True(k.IsZeroed));
        Assert.Equal(RejectReason.UnknownReceiverIndex, h.Receive(h.A, stale).Result.Reason);
        // And the peers can start over.
        h.CompleteHandshake(h.A);
    }

    [Fact]
    public void TrafficDrivesTheTimersThroughThePeer()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [1, 2, 3])).IsOk);
        Assert.Equal(h.Clock.Now + ProtocolConstants.KeepaliveTimeout, h.B.Peer.Timers.SendKeepaliveAt);
        Assert.Equal(h.Clock.Now + TimeSpan.FromSeconds(15) + ProtocolHarness.Jitter, h.A.Peer.Timers.NewHandshakeAt);

        h.Clock.Advance(ProtocolConstants.KeepaliveTimeout);
        Assert.Equal(TimerActions.SendKeepalive, h.B.Peer.PollTimers(h.B.Engine, h.Clock.Now));
        var keepalive = h.SealOrFail(h.B, []);
        // A keepalive counts as a reply: the initiator no longer plans a new handshake, and does not answer it.
        Assert.True(h.Receive(h.A, keepalive).Result.IsKeepalive);
        Assert.Null(h.A.Peer.Timers.NewHandshakeAt);
        Assert.Null(h.A.Peer.Timers.SendKeepaliveAt);
        Assert.Null(h.B.Peer.Timers.NewHandshakeAt); // keepalives are not data

        // Data that gets no answer at all leads to a new handshake.
        h.SealOrFail(h.A, [4]);
        h.Clock.Advance(TimeSpan.FromSeconds(15) + ProtocolHarness.Jitter);
        Assert.Equal(TimerActions.NewHandshake, h.A.Peer.PollTimers(h.A.Engine, h.Clock.Now));
    }
}
