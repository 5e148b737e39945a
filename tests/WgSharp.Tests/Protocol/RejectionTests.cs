using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Cookies;
using WgSharp.Protocol.Noise;

namespace WgSharp.Tests.Protocol;

/// <summary>Everything a responder, an initiator or a receiver must refuse, and that refusing changes nothing.</summary>
public class RejectionTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void ReplayedInitiationIsRefused()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out _).Outcome);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var replay = h.DeliverHandshake(h.B, initiation, out var reply);
        Assert.Equal(HandshakeOutcome.Rejected, replay.Outcome);
        Assert.Equal(RejectReason.ReplayedTimestamp, replay.Reason);
        Assert.Empty(reply);
    }

    [Fact]
    public void InitiationWithAnOlderTimestampIsRefused()
    {
        var h = new ProtocolHarness();
        var older = h.Initiate(h.A)!;
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        var newer = h.Initiate(h.A, isRetry: true)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, newer, out var response).Outcome);
        var stale = h.DeliverHandshake(h.B, older, out _);
        Assert.Equal(RejectReason.ReplayedTimestamp, stale.Reason);
        // The stale one did not disturb the handshake in progress.
        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [])).SessionConfirmed);
    }

    [Fact]
    public void InitiatorWithTheWrongPublicKeyForUsFailsMac1()
    {
        var h = new ProtocolHarness(connect: false);
        h.A.Peer = ProtocolHarness.AddPeer(h.A, KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()), null);
        h.B.Peer = ProtocolHarness.AddPeer(h.B, h.A.PublicKey, null);
        var result = h.DeliverHandshake(h.B, h.Initiate(h.A)!, out _);
        Assert.Equal(RejectReason.BadMac1, result.Reason);
        Assert.Equal(0, h.B.Engine.Indices.Count);
    }

    [Fact]
    public void ResponderThatDoesNotKnowTheInitiatorRefuses()
    {
        var h = new ProtocolHarness();
        Assert.True(h.B.Engine.RemovePeer(h.A.PublicKey));
        var result = h.DeliverHandshake(h.B, h.Initiate(h.A)!, out var reply);
        Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectReason.UnknownPeer, result.Reason);
        Assert.Empty(reply);
        Assert.Equal(0, h.B.Engine.Indices.Count);
    }

    [Fact]
    public void BadMac1IsRefused()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        initiation[MessageLayout.InitMac1 + 3] ^= 0x40;
        Assert.Equal(RejectReason.BadMac1, h.DeliverHandshake(h.B, initiation, out _).Reason);
    }

    [Fact]
    public void InitiationFloodIsRefused()
    {
        var h = new ProtocolHarness();
        var first = h.Initiate(h.A)!;
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        var second = h.Initiate(h.A, isRetry: true)!; // newer timestamp, so only the flood guard can refuse it
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, first, out _).Outcome);
        h.Clock.Advance(ProtocolConstants.HandshakeInitiationRate - Ms);
        Assert.Equal(RejectReason.FloodedInitiation, h.DeliverHandshake(h.B, second, out _).Reason);
        // The refused one was not recorded: once the rate allows, the very same message is accepted.
        h.Clock.Advance(2 * Ms);
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, second, out var response).Outcome);
        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
    }

    /// <summary>Under load a bad mac2 earns a cookie reply, or, past the source's cookie-reply budget, a silent drop; never a session.</summary>
    private static void AssertCookieReplyOrRateLimited(HandshakeResult result) =>
        Assert.True(result.Outcome == HandshakeOutcome.CookieReplyWritten ||
            (result.Outcome == HandshakeOutcome.Rejected && result.Reason == RejectReason.RateLimited), result.ToString());

    [Fact]
    public void EveryFlippedBitOfAnInitiationIsRefusedAndChangesNothing()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        int indices = h.B.Engine.Indices.Count;
        ForEachFlip(initiation, (position, flipped) =>
        {
            // mac2 is only looked at under load (whitepaper 5.3), where a bad one earns a cookie reply, not a session.
            h.B.UnderLoad = position >= MessageLayout.InitMac2;
            var result = h.DeliverHandshake(h.B, flipped, out _);
            if (h.B.UnderLoad) AssertCookieReplyOrRateLimited(result);
            else Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
        });
        AssertUntouched(h.B, indices);

        // Deeper: flip inside the Noise payload and re-stamp a valid mac1 (anyone can, it only needs our
        // public key), so the handshake itself must refuse. The sender index is not covered by the
        // Noise AEADs (only by mac1), so it is not part of this check.
        var stamper = new CookieGenerator(h.B.PublicKey.AsSpan());
        h.B.UnderLoad = false;
        ForEachFlip(initiation, MessageLayout.InitEphemeral, MessageLayout.InitMac1, (position, flipped) =>
        {
            stamper.AddMacs(flipped, h.Clock.Now);
            var result = h.DeliverHandshake(h.B, flipped, out _);
            Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
            Assert.Contains(result.Reason, new[] { RejectReason.DecryptFailed, RejectReason.BadPublicKey, RejectReason.UnknownPeer });
        });
        AssertUntouched(h.B, indices);

        Assert.Equal([$"B:ResponseWritten:None", "A:SessionEstablished:None", "B:transport:ok:confirmed"], h.Transmit(h.B, initiation));
    }

    [Fact]
    public void EveryFlippedBitOfAResponseIsRefusedAndChangesNothing()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out var response).Outcome);
        int indices = h.A.Engine.Indices.Count;
        ForEachFlip(response, (position, flipped) =>
        {
            h.A.UnderLoad = position >= MessageLayout.RespMac2;
            var result = h.DeliverHandshake(h.A, flipped, out _);
            if (h.A.UnderLoad) AssertCookieReplyOrRateLimited(result);
            else Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
        });
        Assert.Equal(HandshakeState.InitiationCreated, h.A.Peer.Handshake.State);

        var stamper = new CookieGenerator(h.A.PublicKey.AsSpan());
        h.A.UnderLoad = false;
        ForEachFlip(response, MessageLayout.RespReceiver, MessageLayout.RespMac1, (position, flipped) =>
        {
            stamper.AddMacs(flipped, h.Clock.Now);
            var result = h.DeliverHandshake(h.A, flipped, out _);
            Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
            Assert.Contains(result.Reason, new[] { RejectReason.DecryptFailed, RejectReason.BadPublicKey, RejectReason.UnknownReceiverIndex });
        });
        Assert.Equal(HandshakeState.InitiationCreated, h.A.Peer.Handshake.State);
        Assert.Equal(indices, h.A.Engine.Indices.Count);
        Assert.Null(h.A.Peer.Keypairs.Current);

        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [])).SessionConfirmed);
    }

    [Fact]
    public void EveryFlippedBitOfACookieReplyIsRefusedAndChangesNothing()
    {
        var h = new ProtocolHarness();
        h.B.UnderLoad = true;
        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.CookieReplyWritten, h.DeliverHandshake(h.B, initiation, out var cookieReply).Outcome);
        ForEachFlip(cookieReply, (position, flipped) =>
            Assert.Equal(HandshakeOutcome.Rejected, h.DeliverHandshake(h.A, flipped, out _).Outcome));
        Assert.Equal(HandshakeOutcome.CookieConsumed, h.DeliverHandshake(h.A, cookieReply, out _).Outcome);
        // One reply per message sent: the same reply again is refused.
        Assert.Equal(HandshakeOutcome.Rejected, h.DeliverHandshake(h.A, cookieReply, out _).Outcome);
    }

    [Fact]
    public void EveryFlippedBitOfATransportMessageIsRefusedAndChangesNothing()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var message = h.SealOrFail(h.A, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
        var keepAliveDeadline = h.B.Peer.Timers.SendKeepaliveAt;
        ForEachFlip(message, (position, flipped) => Assert.False(h.Receive(h.B, flipped).IsOk));
        Assert.Equal(keepAliveDeadline, h.B.Peer.Timers.SendKeepaliveAt);
        var received = h.Receive(h.B, message);
        Assert.True(received.IsOk);
        Assert.Equal(17, received.Plaintext[16]);
    }

    [Fact]
    public void ReplayedTransportCounterIsRefused()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var message = h.SealOrFail(h.A, [1]);
        Assert.True(h.Receive(h.B, message).IsOk);
        Assert.Equal(RejectReason.ReplayedCounter, h.Receive(h.B, message).Result.Reason);
    }

    [Fact]
    public void OutOfOrderTransportInsideTheWindowIsAccepted()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var messages = Enumerable.Range(0, 40).Select(i => h.SealOrFail(h.A, [(byte)i])).ToList();
        int[] order = [5, 0, 39, 1, 2, 38, 3, 20, 4, 10];
        foreach (int i in order.Concat(Enumerable.Range(0, 40).Except(order)))
        {
            var received = h.Receive(h.B, messages[i]);
            Assert.True(received.IsOk, $"message {i}: {received.Result.Reason}");
            Assert.Equal((byte)i, received.Plaintext[0]);
        }
        foreach (int i in order) Assert.Equal(RejectReason.ReplayedCounter, h.Receive(h.B, messages[i]).Result.Reason);
    }

    [Fact]
    public void AfterRejectAfterTimeBothSidesRefuseTheSession()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        h.Clock.Advance(ProtocolConstants.RejectAfterTime - Ms);
        var fromA = h.SealOrFail(h.A, [1]);
        var fromB = h.SealOrFail(h.B, [2]);
        h.Clock.Advance(2 * Ms);
        foreach (var side in new[] { h.A, h.B })
        {
            Assert.Equal(SealStatus.NoSession, side.Peer.Seal([3], new byte[64], h.Clock.Now, ProtocolHarness.Mtu, out _, out bool needsRekey));
            Assert.True(needsRekey);
        }
        Assert.Equal(RejectReason.KeypairExpired, h.Receive(h.B, fromA).Result.Reason);
        Assert.Equal(RejectReason.KeypairExpired, h.Receive(h.A, fromB).Result.Reason);

        // A new handshake recovers.
        h.CompleteHandshake(h.A);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [4])).IsOk);
    }

    [Fact]
    public void HandshakeMessagesFromANonHandshakeStateAreRefused()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out var response).Outcome);
        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
        // The same response again: its receiver index now names a session, not a handshake.
        var again = h.DeliverHandshake(h.A, response, out _);
        Assert.Equal(RejectReason.UnknownReceiverIndex, again.Reason);
        // A transport message is not a handshake message and vice versa.
        Assert.Equal(RejectReason.UnknownType, h.DeliverHandshake(h.B, h.SealOrFail(h.A, []), out _).Reason);
        Assert.False(h.Receive(h.B, initiation).IsOk);
    }

    [Fact]
    public void NoPrivateKeyRefusesEverything()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        h.B.Engine.SetPrivateKey(null);
        Assert.Equal(RejectReason.NoPrivateKey, h.DeliverHandshake(h.B, initiation, out _).Reason);
        Assert.False(h.B.Peer.TryCreateInitiation(h.B.Engine, h.Clock.Now, h.Clock.Wall, false, new byte[MessageLayout.InitiationSize]));
    }

    [Fact]
    public void AWipedSessionNeitherSealsNorOpens()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var inFlight = h.SealOrFail(h.A, [1]);
        h.A.Peer.Keypairs.Current!.Zero();
        h.B.Peer.Keypairs.Current!.Zero();
        Assert.Null(h.Seal(h.A, [2], out bool needsRekey));
        Assert.True(needsRekey);
        Assert.Null(h.Seal(h.B, [2], out _));
        Assert.False(h.Receive(h.B, inFlight).IsOk);
    }

    private static void AssertUntouched(HarnessSide side, int indices)
    {
        Assert.Equal(indices, side.Engine.Indices.Count);
        Assert.Null(side.Peer.Keypairs.Next);
        Assert.Null(side.Peer.Keypairs.Current);
        Assert.Null(side.Peer.Handshake.LastInitiationConsumption);
    }

    private static void ForEachFlip(byte[] message, Action<int, byte[]> check) => ForEachFlip(message, 0, message.Length, check);

    /// <summary>Every single-bit flip of every byte in [from, to).</summary>
    private static void ForEachFlip(byte[] message, int from, int to, Action<int, byte[]> check)
    {
        for (int position = from; position < to; position++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                var flipped = (byte[])message.Clone();
                flipped[position] ^= (byte)(1 << bit);
                try
                {
                    check(position, flipped);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    throw new Xunit.Sdk.XunitException($"bit {bit} of byte {position} threw: {e}");
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    throw new Xunit.Sdk.XunitException($"bit {bit} of byte {position}: {e.Message}");
                }
            }
        }
    }
}
