using System.Buffers.Binary;
using System.Diagnostics;
using WgSharp.Protocol;

namespace WgSharp.Tests.Protocol;

/// <summary>
/// Random and mutated datagrams of every type against two established engines: nothing may
/// throw, nothing may be accepted that was not sent, state must stay bounded, and the session
/// must still work afterwards.
/// </summary>
public class UntrustedInputTests
{
    private const int Iterations = 100_000;

    [Fact]
    public void RandomAndMutatedPacketsNeverThrowAndNeverGrowState()
    {
        var h = new ProtocolHarness();
        // Genuine messages of every type to mutate: initiation/response from a finished handshake,
        // a cookie reply, transport data and keepalives both ways.
        h.B.UnderLoad = true;
        var firstInitiation = h.Initiate(h.A)!;
        h.DeliverHandshake(h.B, firstInitiation, out var cookieReply);
        h.B.UnderLoad = false;
        h.Clock.Advance(ProtocolConstants.RekeyTimeout);
        var initiation = h.Initiate(h.A, isRetry: true)!;
        h.DeliverHandshake(h.B, initiation, out var response);
        h.DeliverHandshake(h.A, response, out _);
        Assert.True(h.Receive(h.B, h.SealOrFail(h.A, [])).SessionConfirmed);
        var transports = new List<byte[]>();
        for (int i = 0; i < 8; i++)
        {
            foreach (var (from, to) in new[] { (h.A, h.B), (h.B, h.A) })
            {
                var message = h.SealOrFail(from, new byte[i * 37]);
                // Delivered once, so an unmodified copy from the fuzzer is a replay and must be refused.
                Assert.True(h.Receive(to, message).IsOk);
                transports.Add(message);
            }
        }
        byte[][] genuine = [firstInitiation, initiation, response, cookieReply, .. transports];
        uint[] knownIndices =
        [
            h.A.Peer.Keypairs.Current!.LocalIndex, h.B.Peer.Keypairs.Current!.LocalIndex,
            MessageLayout.ReadUInt32(initiation, MessageLayout.InitSender), MessageLayout.ReadUInt32(response, MessageLayout.RespSender),
        ];

        int indicesA = h.A.Engine.Indices.Count, indicesB = h.B.Engine.Indices.Count;
        var sessionA = h.A.Peer.Keypairs.Current;
        var sessionB = h.B.Peer.Keypairs.Current;
        var random = new Random(20240501);
        var reply = new byte[MessageLayout.InitiationSize];
        var plaintext = new byte[4096];
        var stopwatch = Stopwatch.StartNew();
        GC.Collect();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        int fed = 0, accepted = 0;

        for (int i = 0; i < Iterations; i++)
        {
            var packet = MakeHostilePacket(random, genuine, knownIndices);
            foreach (var side in new[] { h.A, h.B })
            {
                side.UnderLoad = (i & 3) == 0;
                // Vary time a little, including backwards jumps, which a hostile clock source may also do.
                var now = h.Clock.Now + TimeSpan.FromMilliseconds(random.Next(-50, 50));
                HandshakeResult handshake;
                TransportResult transport;
                try
                {
                    handshake = side.Engine.ProcessHandshake(packet, h.Other(side).Address, now, side.UnderLoad, reply);
                    transport = side.Engine.OpenTransport(packet, plaintext, now);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"iteration {i}: {Convert.ToHexStringLower(packet)} threw {e}");
                }
                fed += 2;
                // Nothing forged may establish, replace or confirm a session.
                Assert.True(handshake.Outcome is HandshakeOutcome.Rejected or HandshakeOutcome.CookieReplyWritten,
                    $"iteration {i}: {handshake.Outcome} for {Convert.ToHexStringLower(packet)}");
                if (transport.IsOk) accepted++;
            }
        }
        stopwatch.Stop();

        Assert.True(fed >= 200_000);
        // Only exact replays of genuine transport messages authenticate, and the replay window refuses those.
        Assert.Equal(0, accepted);
        Assert.Equal(indicesA, h.A.Engine.Indices.Count);
        Assert.Equal(indicesB, h.B.Engine.Indices.Count);
        Assert.Same(sessionA, h.A.Peer.Keypairs.Current);
        Assert.Same(sessionB, h.B.Peer.Keypairs.Current);
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(memoryAfter - memoryBefore < 16 * 1024 * 1024, $"memory grew by {memoryAfter - memoryBefore} bytes");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");

        // The sessions still work both ways.
        Assert.Equal(9, h.Receive(h.B, h.SealOrFail(h.A, [9])).Plaintext[0]);
        Assert.Equal(8, h.Receive(h.A, h.SealOrFail(h.B, [8])).Plaintext[0]);
    }

    private static byte[] MakeHostilePacket(Random random, byte[][] genuine, uint[] knownIndices)
    {
        switch (random.Next(6))
        {
            case 0: // pure noise of any length
                return ProtocolHarness.RandomBytes(random, random.Next(0, random.Next(2) == 0 ? 200 : 2000));
            case 1: // a genuine message with a few random byte changes
            {
                var packet = (byte[])genuine[random.Next(genuine.Length)].Clone();
                for (int n = random.Next(1, 6); n > 0; n--) packet[random.Next(packet.Length)] = (byte)random.Next(256);
                return packet;
            }
            case 2: // a genuine message truncated or extended
            {
                var source = genuine[random.Next(genuine.Length)];
                int length = Math.Max(0, source.Length + random.Next(-40, 41));
                var packet = new byte[length];
                source.AsSpan(0, Math.Min(length, source.Length)).CopyTo(packet);
                random.NextBytes(packet.AsSpan(Math.Min(length, source.Length)));
                return packet;
            }
            case 3: // a valid header and the right length, with a random body
            {
                int type = random.Next(1, 5);
                int length = type switch
                {
                    1 => MessageLayout.InitiationSize,
                    2 => MessageLayout.ResponseSize,
                    3 => MessageLayout.CookieReplySize,
                    _ => MessageLayout.MinTransportSize + random.Next(0, 1500),
                };
                var packet = ProtocolHarness.RandomBytes(random, length);
                BinaryPrimitives.WriteUInt32LittleEndian(packet, (uint)type);
                return packet;
            }
            case 4: // a header naming one of our live indices, random rest
            {
                int type = random.Next(2, 5);
                int length = type switch
                {
                    2 => MessageLayout.ResponseSize,
                    3 => MessageLayout.CookieReplySize,
                    _ => MessageLayout.MinTransportSize + random.Next(0, 200),
                };
                var packet = ProtocolHarness.RandomBytes(random, length);
                BinaryPrimitives.WriteUInt32LittleEndian(packet, (uint)type);
                int receiverOffset = type == 2 ? MessageLayout.RespReceiver : MessageLayout.DataReceiver;
                BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(receiverOffset), knownIndices[random.Next(knownIndices.Length)]);
                return packet;
            }
            default: // a genuine transport message with a new counter (a forged nonce)
            {
                var packet = (byte[])genuine[4 + random.Next(genuine.Length - 4)].Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(packet.AsSpan(MessageLayout.DataCounter), (ulong)random.NextInt64());
                return packet;
            }
        }
    }
}
