using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Protocol.Transport;

namespace WgSharp.Tests.Protocol;

/// <summary>A fake monotonic clock and wall clock that only move when a test says so.</summary>
internal sealed class FakeClock
{
    // Not zero, so "never happened" and "happened at time zero" cannot be confused by the code under test.
    public TimeSpan Now { get; set; } = TimeSpan.FromHours(1);
    public DateTimeOffset Wall { get; set; } = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public void Advance(TimeSpan delta)
    {
        Now += delta;
        Wall += delta;
    }
}

/// <summary>One side of the harness: an engine with its own key, and its view of the other side.</summary>
internal sealed class HarnessSide
{
    public HarnessSide(string name, Key privateKey, byte[] address, FakeClock clock, Func<TimeSpan> jitter)
    {
        Name = name;
        Address = address;
        Engine = new ProtocolEngine(() => clock.Wall, jitter);
        PrivateKey = privateKey;
        Engine.SetPrivateKey(privateKey);
        PublicKey = Engine.Identity.PublicKey!.Value;
    }

    public string Name { get; }
    public ProtocolEngine Engine { get; }
    public Key PrivateKey { get; }
    public Key PublicKey { get; }
    /// <summary>This side's UDP source address as the other side sees it (binds cookies).</summary>
    public byte[] Address { get; }
    /// <summary>The other side, as this engine's peer.</summary>
    public ProtocolPeer Peer { get; set; } = null!;
    public bool UnderLoad { get; set; }

    public override string ToString() => Name;
}

/// <summary>What a receiving side made of a transport message.</summary>
internal sealed record Received(TransportResult Result, byte[] Plaintext, bool SessionConfirmed, bool NeedsHandshake)
{
    public bool IsOk => Result.IsOk;
}

/// <summary>
/// Two protocol engines wired to each other through byte arrays, with fake clocks and a fixed
/// jitter, so whole protocol runs are deterministic and instant. The methods mirror what the
/// device does: ProcessHandshake for types 1-3, OpenTransport + OnTransportReceived for type 4,
/// Seal + OnTransportSent for sending.
/// </summary>
internal sealed class ProtocolHarness
{
    public static readonly TimeSpan Jitter = TimeSpan.FromMilliseconds(111);
    public const int Mtu = ProtocolConstants.DefaultMtu;

    public ProtocolHarness(Key? presharedKey = null, bool connect = true)
    {
        A = new HarnessSide("A", KeyGenerator.GeneratePrivateKey(), [192, 0, 2, 1, 0xCA, 0x6C], Clock, () => Jitter);
        B = new HarnessSide("B", KeyGenerator.GeneratePrivateKey(), [198, 51, 100, 7, 0x1B, 0xCF], Clock, () => Jitter);
        if (connect)
        {
            A.Peer = AddPeer(A, B.PublicKey, presharedKey);
            B.Peer = AddPeer(B, A.PublicKey, presharedKey);
        }
    }

    public FakeClock Clock { get; } = new();
    public HarnessSide A { get; }
    public HarnessSide B { get; }

    public HarnessSide Other(HarnessSide side) => ReferenceEquals(side, A) ? B : A;

    public static ProtocolPeer AddPeer(HarnessSide side, Key publicKey, Key? presharedKey)
    {
        var peer = side.Engine.AddPeer(publicKey) ?? throw new InvalidOperationException("peer refused");
        peer.SetPresharedKey(presharedKey);
        return peer;
    }

    /// <summary>A new initiation from side to its peer, or null when rate-limited.</summary>
    public byte[]? Initiate(HarnessSide from, bool isRetry = false)
    {
        var message = new byte[MessageLayout.InitiationSize];
        return from.Peer.TryCreateInitiation(from.Engine, Clock.Now, Clock.Wall, isRetry, message) ? message : null;
    }

    /// <summary>Hands a handshake-type message to side; reply holds what it wants to send back.</summary>
    public HandshakeResult DeliverHandshake(HarnessSide to, byte[] message, out byte[] reply, byte[]? sourceAddress = null)
    {
        var buffer = new byte[MessageLayout.InitiationSize];
        var result = to.Engine.ProcessHandshake(message, sourceAddress ?? Other(to).Address, Clock.Now, to.UnderLoad, buffer);
        reply = buffer[..result.ReplyLength];
        return result;
    }

    /// <summary>Seals packet (empty = keepalive) from side; null when it has no session.</summary>
    public byte[]? Seal(HarnessSide from, ReadOnlySpan<byte> packet, out bool needsRekey, int mtu = Mtu)
    {
        var buffer = new byte[MessageLayout.TransportMessageSize(packet.Length + 2 * ProtocolConstants.MessagePaddingMultiple)];
        var status = from.Peer.Seal(packet, buffer, Clock.Now, mtu, out int length, out needsRekey);
        if (status != SealStatus.Sealed) return null;
        from.Peer.OnTransportSent(packet.IsEmpty, Clock.Now);
        return buffer[..length];
    }

    public byte[] SealOrFail(HarnessSide from, ReadOnlySpan<byte> packet) =>
        Seal(from, packet, out _) ?? throw new Xunit.Sdk.XunitException($"{from} has no session to send with");

    /// <summary>Hands a transport message to side, doing the per-peer bookkeeping when it authenticates.</summary>
    public Received Receive(HarnessSide to, byte[] message)
    {
        var plaintext = new byte[Math.Max(0, message.Length - MessageLayout.MinTransportSize)];
        var result = to.Engine.OpenTransport(message, plaintext, Clock.Now);
        if (!result.IsOk) return new Received(result, [], false, false);
        var (confirmed, needsHandshake) = result.Peer!.OnTransportReceived(to.Engine, result.Keypair!, result.IsKeepalive, Clock.Now);
        return new Received(result, plaintext[..result.PlaintextLength], confirmed, needsHandshake);
    }

    /// <summary>
    /// The wire: delivers any message to side by its type, and carries replies back the other way
    /// until the exchange settles (response after initiation, keepalive after a new session).
    /// Returns the outcomes in order, for tests that want to look at them.
    /// </summary>
    public List<string> Transmit(HarnessSide to, byte[] message)
    {
        var log = new List<string>();
        var queue = new Queue<(HarnessSide To, byte[] Message)>();
        queue.Enqueue((to, message));
        while (queue.TryDequeue(out var item))
        {
            var from = Other(item.To);
            if (item.Message.Length > 0 && item.Message[0] == (byte)MessageType.TransportData)
            {
                var received = Receive(item.To, item.Message);
                log.Add($"{item.To}:transport:{(received.IsOk ? "ok" : received.Result.Reason.ToString())}{(received.SessionConfirmed ? ":confirmed" : "")}");
                continue;
            }
            var result = DeliverHandshake(item.To, item.Message, out var reply);
            log.Add($"{item.To}:{result.Outcome}:{result.Reason}");
            if (reply.Length > 0) queue.Enqueue((from, reply));
            if (result.Outcome == HandshakeOutcome.SessionEstablished)
                queue.Enqueue((from, SealOrFail(item.To, ReadOnlySpan<byte>.Empty))); // key confirmation for the responder
        }
        return log;
    }

    /// <summary>A full handshake started by initiator, ending with the responder's "next" session confirmed.</summary>
    public void CompleteHandshake(HarnessSide initiator, bool isRetry = false)
    {
        var responder = Other(initiator);
        var initiation = Initiate(initiator, isRetry) ?? throw new Xunit.Sdk.XunitException("initiation rate-limited");
        var log = Transmit(responder, initiation);
        Assert.Equal(
            [$"{responder}:ResponseWritten:None", $"{initiator}:SessionEstablished:None", $"{responder}:transport:ok:confirmed"],
            log);
        var initiatorSession = initiator.Peer.Keypairs.Current!;
        var responderSession = responder.Peer.Keypairs.Current!;
        Assert.True(initiatorSession.IsInitiator);
        Assert.False(responderSession.IsInitiator);
        Assert.Equal(initiatorSession.LocalIndex, responderSession.RemoteIndex);
        Assert.Equal(initiatorSession.RemoteIndex, responderSession.LocalIndex);
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Test-only access to a keypair's send counter (reaching 2^60 by sending is not an option).</summary>
    public static void SetSendCounter(Keypair keypair, ulong next)
    {
        var field = typeof(Keypair).GetField("_nextSendCounter", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
            ?? throw new InvalidOperationException("Keypair._nextSendCounter not found");
        field.SetValue(keypair, unchecked((long)next));
    }
}
