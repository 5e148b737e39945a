using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Noise;

namespace WgSharp.Tests.Protocol;

/// <summary>Two engines complete a handshake and exchange data both ways.</summary>
public class HandshakeAndTransportTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HandshakeThenDataBothWays(bool withPresharedKey)
    {
        var h = new ProtocolHarness(withPresharedKey ? KeyGenerator.GeneratePresharedKey() : null);
        Assert.Equal(withPresharedKey, h.A.Peer.Handshake.HasPresharedKey);
        Assert.Equal(SealStatus.NoSession, h.A.Peer.Seal([1, 2, 3], new byte[64], h.Clock.Now, ProtocolHarness.Mtu, out _, out bool rekey));
        Assert.True(rekey);

        h.CompleteHandshake(h.A);
        Assert.NotNull(h.A.Peer.LastHandshake);
        Assert.NotNull(h.B.Peer.LastHandshake);
        Assert.Equal(HandshakeState.Zeroed, h.A.Peer.Handshake.State);
        Assert.Equal(HandshakeState.Zeroed, h.B.Peer.Handshake.State);

        var random = new Random(1);
        // (inner length, length after padding to 16 within an mtu of 1420)
        (int Size, int Padded)[] cases = [(1, 16), (15, 16), (16, 16), (17, 32), (100, 112), (1404, 1408), (1408, 1408), (1409, 1420), (1419, 1420), (1420, 1420)];
        foreach (var (from, to) in new[] { (h.A, h.B), (h.B, h.A) })
        {
            foreach (var (size, padded) in cases)
            {
                var packet = ProtocolHarness.RandomBytes(random, size);
                var message = h.Seal(from, packet, out bool needsRekey);
                Assert.NotNull(message);
                Assert.False(needsRekey);
                Assert.Equal(MessageLayout.TransportHeaderSize + padded + MessageLayout.TagSize, message.Length);
                Assert.Equal((byte)MessageType.TransportData, message[0]);
                // Compare the whole padded block: a 1-byte ciphertext equals its plaintext by chance 1 time in 256.
                var paddedPlaintext = new byte[padded];
                packet.CopyTo(paddedPlaintext, 0);
                Assert.NotEqual(paddedPlaintext, message.AsSpan(MessageLayout.DataPayload, padded).ToArray());

                var received = h.Receive(to, message);
                Assert.True(received.IsOk, received.Result.Reason.ToString());
                Assert.Equal(padded, received.Result.PlaintextLength);
                Assert.False(received.Result.IsKeepalive);
                Assert.Same(to.Peer, received.Result.Peer);
                Assert.Equal(packet, received.Plaintext[..size]);
                Assert.All(received.Plaintext[size..], b => Assert.Equal(0, b));
            }
        }
    }

    [Fact]
    public void KeepaliveIsAnEmptyPayloadOf32Bytes()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        foreach (var (from, to) in new[] { (h.A, h.B), (h.B, h.A) })
        {
            var keepalive = h.SealOrFail(from, []);
            Assert.Equal(32, keepalive.Length);
            var received = h.Receive(to, keepalive);
            Assert.True(received.Result.IsKeepalive);
            Assert.Equal(0, received.Result.PlaintextLength);
        }
    }

    [Fact]
    public void SmallMtuCapsThePadding()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var packet = new byte[1001];
        var message = h.Seal(h.A, packet, out _, mtu: 1002)!;
        Assert.Equal(MessageLayout.TransportHeaderSize + 1002 + MessageLayout.TagSize, message.Length);
        Assert.Equal(1002, h.Receive(h.B, message).Result.PlaintextLength);
    }

    [Fact]
    public void ResponderCannotSendUntilTheInitiatorConfirmsTheSession()
    {
        var h = new ProtocolHarness();
        var initiation = h.Initiate(h.A)!;
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out var response).Outcome);
        Assert.Equal(MessageLayout.ResponseSize, response.Length);
        Assert.Null(h.B.Peer.Keypairs.Current);
        Assert.NotNull(h.B.Peer.Keypairs.Next);
        Assert.Null(h.Seal(h.B, [1], out _));

        Assert.Equal(HandshakeOutcome.SessionEstablished, h.DeliverHandshake(h.A, response, out _).Outcome);
        var data = h.SealOrFail(h.A, [42]);
        var received = h.Receive(h.B, data);
        Assert.True(received.SessionConfirmed);
        Assert.NotNull(h.B.Peer.Keypairs.Current);
        Assert.Null(h.B.Peer.Keypairs.Next);
        Assert.Equal(42, received.Plaintext[0]);
        Assert.NotNull(h.Seal(h.B, [1], out _));
    }

    [Fact]
    public void MismatchedPresharedKeysNeverYieldASession()
    {
        var h = new ProtocolHarness();
        h.A.Peer.SetPresharedKey(KeyGenerator.GeneratePresharedKey());
        var initiation = h.Initiate(h.A)!;
        // The initiation does not involve the psk, so the responder answers; the response cannot authenticate.
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, initiation, out var response).Outcome);
        var result = h.DeliverHandshake(h.A, response, out _);
        Assert.Equal(HandshakeOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectReason.DecryptFailed, result.Reason);
        Assert.Null(h.A.Peer.Keypairs.Current);
    }

    [Fact]
    public void EitherSideCanInitiateAndRolesSwap()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        h.Clock.Advance(TimeSpan.FromSeconds(6));
        h.CompleteHandshake(h.B);
        Assert.True(h.B.Peer.Keypairs.Current!.IsInitiator);
        var received = h.Receive(h.A, h.SealOrFail(h.B, [7, 7]));
        Assert.True(received.IsOk);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [8])).IsOk);
    }

    [Fact]
    public void ReapplyingTheSamePrivateKeyKeepsSessionsAndANewKeyDropsThem()
    {
        var h = new ProtocolHarness();
        h.CompleteHandshake(h.A);
        var session = h.A.Peer.Keypairs.Current;

        Assert.Empty(h.A.Engine.SetPrivateKey(h.A.PrivateKey));
        Assert.Same(session, h.A.Peer.Keypairs.Current);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [1])).IsOk);

        h.A.Engine.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        Assert.Null(h.A.Peer.Keypairs.Current);
        Assert.True(session!.IsZeroed);
        Assert.Equal(0, h.A.Engine.Indices.Count);
        // B does not know A's new identity.
        Assert.Equal(RejectReason.UnknownPeer, h.DeliverHandshake(h.B, h.Initiate(h.A)!, out _).Reason);

        // Clearing the key twice is also a no-op the second time.
        h.A.Engine.SetPrivateKey(null);
        Assert.Empty(h.A.Engine.SetPrivateKey(null));
        Assert.False(h.A.Engine.Identity.HasKey);
    }

    [Fact]
    public void SimultaneousInitiationsRecoverWithTheNextRetry()
    {
        var h = new ProtocolHarness();
        var fromA = h.Initiate(h.A)!;
        var fromB = h.Initiate(h.B)!;
        // Each side answers the other's initiation, which replaces its own handshake in flight...
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.B, fromA, out var responseFromB).Outcome);
        Assert.Equal(HandshakeOutcome.ResponseWritten, h.DeliverHandshake(h.A, fromB, out var responseFromA).Outcome);
        // ...so neither response finds its handshake any more, and neither side has a usable session.
        Assert.Equal(RejectReason.UnknownReceiverIndex, h.DeliverHandshake(h.A, responseFromB, out _).Reason);
        Assert.Equal(RejectReason.UnknownReceiverIndex, h.DeliverHandshake(h.B, responseFromA, out _).Reason);
        Assert.Null(h.Seal(h.A, [1], out _));
        Assert.Null(h.Seal(h.B, [1], out _));

        // The retransmit timer brings them together.
        h.Clock.Advance(h.A.Peer.Timers.RetransmitHandshakeAt!.Value - h.Clock.Now);
        Assert.Equal(WgSharp.Protocol.Timers.TimerActions.RetryHandshake, h.A.Peer.PollTimers(h.A.Engine, h.Clock.Now) & WgSharp.Protocol.Timers.TimerActions.RetryHandshake);
        h.CompleteHandshake(h.A, isRetry: true);
        Assert.True(h.Receive(h.A, h.SealOrFail(h.B, [2])).IsOk);
        // A keeps its never-confirmed "next" as previous (late packets under it may still arrive); B dropped its own.
        Assert.Equal(2, h.A.Engine.Indices.Count);
        Assert.NotNull(h.A.Peer.Keypairs.Previous);
        Assert.Equal(1, h.B.Engine.Indices.Count);
        Assert.Null(h.B.Peer.Keypairs.Previous);
    }
}
