using WgSharp.Keys;
using WgSharp.Protocol;
using WgSharp.Tests.Protocol;

namespace WgSharp.Bench;

/// <summary>
/// Two protocol engines that know each other, driven by a fake clock the benchmarks move
/// (so rate limits and timestamp replay checks pass without sleeping). The same calls the device
/// makes: TryCreateInitiation / ProcessHandshake for handshakes, Seal / OpenTransport for data.
/// </summary>
internal sealed class SessionPair
{
    public static readonly byte[] AddressA = [192, 0, 2, 1, 0xCA, 0x6C];
    public static readonly byte[] AddressB = [198, 51, 100, 7, 0x1B, 0xCF];

    private readonly byte[] _reply = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _scratch = new byte[MessageLayout.InitiationSize];

    public SessionPair()
    {
        EngineA = new ProtocolEngine<object>(() => Wall, () => TimeSpan.Zero);
        EngineB = new ProtocolEngine<object>(() => Wall, () => TimeSpan.Zero);
        EngineA.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        EngineB.SetPrivateKey(KeyGenerator.GeneratePrivateKey());
        PeerA = EngineA.AddPeer(EngineB.Identity.PublicKey!.Value, static _ => new object())!; // B as A sees it
        PeerB = EngineB.AddPeer(EngineA.Identity.PublicKey!.Value, static _ => new object())!; // A as B sees it
    }

    public TimeSpan Now { get; private set; } = TimeSpan.FromHours(1);
    public DateTimeOffset Wall { get; private set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public ProtocolEngine<object> EngineA { get; }
    public ProtocolEngine<object> EngineB { get; }
    public ProtocolPeer<object> PeerA { get; }
    public ProtocolPeer<object> PeerB { get; }

    /// <summary>Moves both clocks past every handshake rate limit.</summary>
    public void Advance()
    {
        Now += TimeSpan.FromSeconds(10);
        Wall += TimeSpan.FromSeconds(10);
    }

    /// <summary>One complete handshake: A's initiation, B's response, A's session. Throws if any step fails.</summary>
    public void Handshake()
    {
        Advance();
        if (!PeerA.TryCreateInitiation(EngineA, Now, Wall, isRetry: false, _scratch))
            throw new InvalidOperationException("initiation not created");
        var response = EngineB.ProcessHandshake(_scratch, AddressA, Now, underLoad: false, _reply);
        if (response.Outcome != HandshakeOutcome.ResponseWritten)
            throw new InvalidOperationException($"responder: {response.Outcome} {response.Reason}");
        var done = EngineA.ProcessHandshake(_reply.AsSpan(0, response.ReplyLength), AddressB, Now, underLoad: false, _scratch);
        if (done.Outcome != HandshakeOutcome.SessionEstablished)
            throw new InvalidOperationException($"initiator: {done.Outcome} {done.Reason}");
    }

    /// <summary>A fresh initiation from A (for mac1 checks), copied out.</summary>
    public byte[] NewInitiation()
    {
        Advance();
        var message = new byte[MessageLayout.InitiationSize];
        if (!PeerA.TryCreateInitiation(EngineA, Now, Wall, isRetry: false, message))
            throw new InvalidOperationException("initiation not created");
        return message;
    }

    /// <summary>Handshake, then the keepalive that confirms the session to B: both sides can send.</summary>
    public void Connect()
    {
        Handshake();
        var buffer = new byte[MessageLayout.TransportMessageSize(0)];
        var plaintext = new byte[16];
        if (PeerA.Seal(ReadOnlySpan<byte>.Empty, buffer, Now, ProtocolConstants.DefaultMtu, out int length, out _) != SealStatus.Sealed)
            throw new InvalidOperationException("no session after handshake");
        var opened = EngineB.OpenTransport(buffer.AsSpan(0, length), plaintext, Now);
        if (!opened.IsOk) throw new InvalidOperationException($"keepalive: {opened.Reason}");
        PeerB.OnTransportReceived(EngineB, opened.Keypair!, opened.IsKeepalive, Now);
    }
}
