using WgSharp.Protocol;

namespace WgSharp.Tests.Protocol;

/// <summary>The cookie (mac2) path end to end: under load, a responder answers with a cookie reply instead of a session.</summary>
public class CookieTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static bool HasMac2(byte[] initiation) => initiation.AsSpan(MessageLayout.InitMac2, MessageLayout.MacSize).ContainsAnyExcept((byte)0);

    [Fact]
    public void UnderLoadResponderAnswersWithACookieAndTheRetryWithMac2CompletesTheHandshake()
    {
        var h = new ProtocolHarness();
        h.B.UnderLoad = true;
        var first = h.Initiate(h.A)!;
        Assert.False(HasMac2(first));

        var demand = h.DeliverHandshake(h.B, first, out var cookieReply);
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, demand.Outcome);
        Assert.Equal(RejectReason.CookieRequired, demand.Reason);
        Assert.Equal(MessageLayout.CookieReplySize, cookieReply.Length);
        Assert.Equal(64, cookieReply.Length);
        Assert.Equal((byte)MessageType.CookieReply, cookieReply[0]);
        Assert.Equal(MessageLayout.ReadUInt32(first, MessageLayout.InitSender), MessageLayout.ReadUInt32(cookieReply, MessageLayout.CookieReceiver));
        // A cookie reply commits the responder to nothing.
        Assert.Equal(0, h.B.Engine.Indices.Count);
        Assert.Null(h.B.Peer.Handshake.LastInitiationConsumption);

        var consumed = h.DeliverHandshake(h.A, cookieReply, out var noReply);
        Assert.Equal(HandshakeOutcome.CookieConsumed, consumed.Outcome);
        Assert.Same(h.A.Peer, consumed.Peer);
        Assert.Empty(noReply);

        // The initiator may not retry before REKEY_TIMEOUT; its timer says when.
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(h.Initiate(h.A, isRetry: true));
        var retryAt = h.A.Peer.Timers.RetransmitHandshakeAt!.Value;
        Assert.Equal(h.Clock.Now - TimeSpan.FromSeconds(1) + ProtocolConstants.RekeyTimeout + ProtocolHarness.Jitter, retryAt);
        h.Clock.Advance(retryAt - h.Clock.Now);
        Assert.Equal(WgSharp.Protocol.Timers.TimerActions.RetryHandshake, h.A.Peer.PollTimers(h.A.Engine, h.Clock.Now));

        var retry = h.Initiate(h.A, isRetry: true)!;
        Assert.True(HasMac2(retry));
        Assert.True(h.B.Engine.Identity.CookieChecker.CheckMac2(retry, h.A.Address, h.Clock.Now));

        // mac2 binds the cookie to the address it was issued for.
        var elsewhere = h.DeliverHandshake(h.B, retry, out _, sourceAddress: [203, 0, 113, 9, 0xCA, 0x6C]);
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, elsewhere.Outcome);
        var otherPort = h.DeliverHandshake(h.B, retry, out _, sourceAddress: [192, 0, 2, 1, 0xCA, 0x6D]);
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, otherPort.Outcome);

        Assert.Equal(["B:ResponseWritten:None", "A:SessionEstablished:None", "B:transport:ok:confirmed"], h.Transmit(h.B, retry));
        Assert.True(h.Receive(h.A, h.SealOrFail(h.B, [1])).IsOk);
    }

    [Fact]
    public void UnderLoadInitiatorMakesTheResponderProveItsAddressToo()
    {
        var h = new ProtocolHarness();
        h.A.UnderLoad = true;
        var first = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, first, out var response).Outcome);
        var demand = h.DeliverHandshake(h.A, response, out var cookieReply);
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, demand.Outcome);
        Assert.Equal(MessageLayout.ReadUInt32(response, MessageLayout.RespSender), MessageLayout.ReadUInt32(cookieReply, MessageLayout.CookieReceiver));
        Assert.Equal(HandshakeOutcome.CookieConsumed, h.DeliverHandshake(h.B, cookieReply, out _).Outcome);

        h.Clock.Advance(ProtocolConstants.RekeyTimeout + ProtocolHarness.Jitter);
        var retry = h.Initiate(h.A, isRetry: true)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, retry, out var stamped).Outcome);
        Assert.True(stamped.AsSpan(MessageLayout.RespMac2, MessageLayout.MacSize).ContainsAnyExcept((byte)0));
        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, stamped, out _).Outcome);
    }

    [Fact]
    public void CookieReplyWithAFlippedBitIsRefusedAndNoMac2Follows()
    {
        var h = new ProtocolHarness();
        h.B.UnderLoad = true;
        h.DeliverHandshake(h.B, h.Initiate(h.A)!, out var cookieReply);
        cookieReply[MessageLayout.CookieEncrypted + 5] ^= 0x01;
        var refused = h.DeliverHandshake(h.A, cookieReply, out _);
        Assert.Equal(HandshakeOutcome.Rejected, refused.Outcome);
        Assert.Equal(RejectReason.DecryptFailed, refused.Reason);
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        Assert.False(HasMac2(h.Initiate(h.A, isRetry: true)!));
    }

    [Fact]
    public void CookieSecretRotatesAfterTwoMinutes()
    {
        var h = new ProtocolHarness();
        var checker = h.B.Engine.Identity.CookieChecker;
        h.B.UnderLoad = true;
        var issued = h.Clock.Now;
        h.DeliverHandshake(h.B, h.Initiate(h.A)!, out var cookieReply);
        Assert.Equal(HandshakeOutcome.CookieConsumed, h.DeliverHandshake(h.A, cookieReply, out _).Outcome);
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        var retry = h.Initiate(h.A, isRetry: true)!;
        Assert.True(HasMac2(retry));

        Assert.True(checker.CheckMac2(retry, h.A.Address, issued + ProtocolConstants.CookieRefreshTime - Ms));
        Assert.False(checker.CheckMac2(retry, h.A.Address, issued + ProtocolConstants.CookieRefreshTime));

        // After the rotation the responder hands out a new cookie, which the initiator can use.
        h.Clock.Advance(issued + ProtocolConstants.CookieRefreshTime - h.Clock.Now);
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, h.DeliverHandshake(h.B, retry, out var secondReply).Outcome);
        Assert.Equal(HandshakeOutcome.CookieConsumed, h.DeliverHandshake(h.A, secondReply, out _).Outcome);
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        Assert.Equal(["B:ResponseWritten:None", "A:SessionEstablished:None", "B:transport:ok:confirmed"],
            h.Transmit(h.B, h.Initiate(h.A, isRetry: true)!));
    }

    [Fact]
    public void InitiatorStopsUsingACookieBeforeTheResponderWouldRotateIt()
    {
        var h = new ProtocolHarness();
        h.B.UnderLoad = true;
        h.DeliverHandshake(h.B, h.Initiate(h.A)!, out var cookieReply);
        var received = h.Clock.Now;
        h.DeliverHandshake(h.A, cookieReply, out _);
        var usable = ProtocolConstants.CookieRefreshTime - ProtocolConstants.RekeyTimeout - ProtocolConstants.RekeyTimeoutJitterMax;

        h.Clock.Advance(received + usable - Ms - h.Clock.Now);
        Assert.True(HasMac2(h.Initiate(h.A)!));
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        Assert.False(HasMac2(h.Initiate(h.A)!));
    }
}
