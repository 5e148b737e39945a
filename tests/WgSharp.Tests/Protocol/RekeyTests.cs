using WgSharp.Protocol;

namespace WgSharp.Tests.Protocol;

/// <summary>When sessions are renewed: REKEY_AFTER_TIME, the 165 s receive rule, REKEY_AFTER_MESSAGES.</summary>
public class RekeyTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void AfterRekeyAfterTimeTheInitiatorRekeysAndInFlightPacketsUnderTheOldSessionStillDecrypt()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var oldAtA = h.A.Peer.Keypairs.Current!;
        var oldAtB = h.B.Peer.Keypairs.Current!;

        h.Clock.Advance(ProtocolConstants.RekeyAfterTime - Ms);
        Assert.NotNull(h.Seal(h.A, [1], out bool early));
        Assert.False(early);

        h.Clock.Advance(2 * Ms);
        var inFlightAB = h.Seal(h.A, [2], out bool rekeyAtA);
        Assert.NotNull(inFlightAB);
        Assert.True(rekeyAtA);
        // Only the initiator of a session rekeys on time, so both sides do not start at once.
        var inFlightBA = h.Seal(h.B, [3], out bool rekeyAtB);
        Assert.NotNull(inFlightBA);
        Assert.False(rekeyAtB);

        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out var response).Outcome);
        // The responder keeps sending under the old session until the initiator confirms the new one.
        Assert.Same(oldAtB, h.B.Peer.Keypairs.Current);
        var newAtB = h.B.Peer.Keypairs.Next!;
        var stillOldBA = h.SealOrFail(h.B, [4]);
        var neverDeliveredBA = h.SealOrFail(h.B, [9]);

        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
        var newAtA = h.A.Peer.Keypairs.Current!;
        Assert.NotSame(oldAtA, newAtA);
        Assert.Same(oldAtA, h.A.Peer.Keypairs.Previous);

        foreach (var (message, expected) in new[] { (inFlightBA, (byte)3), (stillOldBA, (byte)4) })
        {
            var late = h.Receive(h.A, message!);
            Assert.True(late.IsOk, late.Result.Reason.ToString());
            Assert.Same(oldAtA, late.Result.Keypair);
            Assert.Equal(expected, late.Plaintext[0]);
        }

        var fresh = h.Seal(h.A, [5], out bool stillRekey)!;
        Assert.False(stillRekey);
        var confirmed = h.Receive(h.B, fresh);
        Assert.True(confirmed.SessionConfirmed);
        Assert.Same(newAtB, h.B.Peer.Keypairs.Current);
        Assert.Same(oldAtB, h.B.Peer.Keypairs.Previous);

        var lateAtB = h.Receive(h.B, inFlightAB);
        Assert.True(lateAtB.IsOk, lateAtB.Result.Reason.ToString());
        Assert.Same(oldAtB, lateAtB.Result.Keypair);

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((byte)i, h.Receive(h.B, h.SealOrFail(h.A, [(byte)i])).Plaintext[0]);
            var back = h.Receive(h.A, h.SealOrFail(h.B, [(byte)(100 + i)]));
            Assert.Same(newAtA, back.Result.Keypair);
            Assert.Equal((byte)(100 + i), back.Plaintext[0]);
        }

        // A third handshake drops the oldest session: its packets are no longer accepted, the one before still is.
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        var tooOld = h.SealOrFail(h.B, [6]); // under newAtB
        h.CompleteHandshake(h.A);
        Assert.True(h.Receive(h.A, tooOld).IsOk); // newAtA is now previous
        Assert.True(oldAtA.IsZeroed);
        Assert.True(oldAtB.IsZeroed);
        Assert.Equal(RejectReason.UnknownReceiverIndex, h.Receive(h.A, neverDeliveredBA).Result.Reason);
    }

    [Fact]
    public void InitiatorReceivingOnAnAgingSessionStartsOneLastMinuteHandshake()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var lastMinute = ProtocolConstants.RejectAfterTime - ProtocolConstants.KeepaliveTimeout - ProtocolConstants.RekeyTimeout;
        Assert.Equal(TimeSpan.FromSeconds(165), lastMinute);

        h.Clock.Advance(lastMinute - Ms);
        Assert.False(h.Receive(h.A, h.SealOrFail(h.B, [1])).NeedsHandshake);

        h.Clock.Advance(2 * Ms);
        var received = h.Receive(h.A, h.SealOrFail(h.B, [2]));
        Assert.True(received.IsOk);
        Assert.True(received.NeedsHandshake);
        Assert.True(h.A.Peer.Timers.SentLastMinuteHandshake);
        // Acted on once only.
        Assert.False(h.Receive(h.A, h.SealOrFail(h.B, [3])).NeedsHandshake);
        // The responder of the session never does this: the initiator owns renewal.
        Assert.False(h.Receive(h.B, h.SealOrFail(h.A, [4])).NeedsHandshake);

        h.CompleteHandshake(h.A);
        Assert.False(h.A.Peer.Timers.SentLastMinuteHandshake);
        Assert.False(h.Receive(h.A, h.SealOrFail(h.B, [5])).NeedsHandshake);
    }

    [Fact]
    public void RekeyAfterMessagesOnEitherSide()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        foreach (var (from, to) in new[] { (h.A, h.B), (h.B, h.A) })
        {
            ProtocolHarness.SetSendCounter(from.Peer.Keypairs.Current!, ProtocolConstants.RekeyAfterMessages - 1);
            var below = h.Seal(from, [1], out bool rekeyBelow)!;
            Assert.False(rekeyBelow);
            var at = h.Seal(from, [2], out bool rekeyAt)!;
            Assert.True(rekeyAt, $"{from} should rekey at 2^60 messages");
            // The counters really are the nonces: the receiver opens both.
            Assert.True(h.Receive(to, below).IsOk);
            Assert.True(h.Receive(to, at).IsOk);
        }
    }

    [Fact]
    public void RejectAfterMessagesStopsSendingAndReceiving()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var keypair = h.A.Peer.Keypairs.Current!;
        ProtocolHarness.SetSendCounter(keypair, ProtocolConstants.RejectAfterMessages - 1);
        var last = h.Seal(h.A, [1], out _);
        Assert.NotNull(last);
        Assert.True(h.Receive(h.B, last).IsOk);
        Assert.Null(h.Seal(h.A, [2], out bool needsRekey));
        Assert.True(needsRekey);
        Assert.False(keypair.IsValidForSending(h.Clock.Now));

        // A message claiming a counter at the limit is refused before decryption.
        var forged = new byte[MessageLayout.MinTransportSize + 16];
        MessageLayout.WriteHeader(forged, MessageType.TransportData);
        MessageLayout.WriteUInt32(forged, MessageLayout.DataReceiver, keypair.RemoteIndex);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(forged.AsSpan(MessageLayout.DataCounter), ProtocolConstants.RejectAfterMessages);
        keypair.Seal(ProtocolConstants.RejectAfterMessages, new byte[16], forged.AsSpan(MessageLayout.DataPayload));
        Assert.Equal(RejectReason.CounterLimit, h.Receive(h.B, forged).Result.Reason);
    }
}
