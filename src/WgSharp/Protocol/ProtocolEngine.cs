using System.Buffers.Binary;
using System.Collections.Concurrent;
using WgSharp.Keys;
using WgSharp.Protocol.Cookies;
using WgSharp.Protocol.Noise;
using WgSharp.Protocol.Transport;

namespace WgSharp.Protocol;

/// <summary>
/// The protocol side of one WireGuard interface, with no sockets and no threads: our identity,
/// our peers by public key, the session index table, and the processing of every incoming
/// message. The caller supplies the monotonic time (for timers and expiry) and decides when it
/// is "under load". Untrusted input never throws: every refusal is a <see cref="RejectReason"/>.
/// </summary>
/// <typeparam name="TOwner">What keeps each peer (the device's <c>Peer</c>): a peer's <see cref="ProtocolPeer{TOwner}.Owner"/>.</typeparam>
internal sealed class ProtocolEngine<TOwner> where TOwner : class
{
    private readonly ConcurrentDictionary<Key, ProtocolPeer<TOwner>> _peers = new();
    private readonly Func<TimeSpan>? _jitter;

    public ProtocolEngine(Func<DateTimeOffset>? wallClock = null, Func<TimeSpan>? jitter = null)
    {
        WallClock = wallClock ?? (() => DateTimeOffset.UtcNow);
        _jitter = jitter;
    }

    public LocalIdentity Identity { get; } = new();
    public IndexTable<ProtocolPeer<TOwner>> Indices { get; } = new();
    /// <summary>Per-source budget for handshake messages that passed mac2 under load (before any Diffie-Hellman).</summary>
    public HandshakeRateLimiter RateLimiter { get; } = new();
    /// <summary>
    /// Per-source budget for cookie replies under load. A peer needs one per handshake attempt; a flood from one
    /// address gets 20 a second instead of one per message (each costs an AEAD seal and a send, and would be
    /// reflected at whoever the source address names). A separate budget, so asking for a cookie never uses up
    /// the handshake budget.
    /// </summary>
    public HandshakeRateLimiter CookieReplyLimiter { get; } = new();
    /// <summary>Wall clock for TAI64N timestamps and "last handshake" times.</summary>
    public Func<DateTimeOffset> WallClock { get; }

    public IEnumerable<ProtocolPeer<TOwner>> Peers => _peers.Values;
    public int PeerCount => _peers.Count;

    public ProtocolPeer<TOwner>? FindPeer(in Key publicKey) => _peers.TryGetValue(publicKey, out var p) ? p : null;

    /// <summary>
    /// Adds a peer (or returns the existing one) whose owner <paramref name="owner"/> makes. A peer with our own
    /// public key is refused (null). Callers add one peer at a time (the device: under its configuration lock).
    /// </summary>
    public ProtocolPeer<TOwner>? AddPeer(in Key publicKey, Func<ProtocolPeer<TOwner>, TOwner> owner)
    {
        if (Identity.PublicKey is { } own && own == publicKey) return null;
        if (_peers.TryGetValue(publicKey, out var existing)) return existing;
        var peer = new ProtocolPeer<TOwner>(publicKey, owner, _jitter);
        using (peer.Handshake.Enter()) peer.Handshake.UpdateStaticStatic(Identity.Keys);
        return _peers.GetOrAdd(publicKey, peer);
    }

    public bool RemovePeer(in Key publicKey)
    {
        if (!_peers.TryRemove(publicKey, out var peer)) return false;
        peer.ZeroAllKeys(this);
        peer.StopTimers();
        using (peer.Handshake.Enter()) peer.Handshake.Destroy();
        return true;
    }

    /// <summary>
    /// Changes our private key: every session and handshake is dropped (they were bound to the
    /// old identity), static-static secrets are recomputed, and a peer whose public key equals
    /// our new one is removed, as wireguard-go does. Returns the removed peers. Setting the key
    /// we already have changes nothing, so re-applying a configuration (wg syncconf, wg setconf)
    /// does not tear down working sessions.
    /// </summary>
    public List<ProtocolPeer<TOwner>> SetPrivateKey(Key? privateKey)
    {
        var current = Identity.Keys;
        if (privateKey is { IsZero: false } wanted ? current is not null && current.IsPrivateKey(wanted) : current is null)
            return [];
        Identity.SetPrivateKey(privateKey);
        var removed = new List<ProtocolPeer<TOwner>>();
        foreach (var peer in _peers.Values)
        {
            if (Identity.PublicKey is { } own && own == peer.PublicKey)
            {
                RemovePeer(peer.PublicKey);
                removed.Add(peer);
                continue;
            }
            peer.ZeroAllKeys(this);
            peer.ResetHandshakeRateLimit();
            using (peer.Handshake.Enter()) peer.Handshake.UpdateStaticStatic(Identity.Keys);
        }
        return removed;
    }

    /// <summary>Unregisters the indices of dropped keypairs.</summary>
    internal void Forget(List<Keypair> dropped)
    {
        foreach (var kp in dropped) Indices.Remove(kp.LocalIndex);
    }

    /// <summary>
    /// Processes an initiation, response or cookie reply. sourceAddress is the sender's address
    /// and port as bytes (it binds cookies); reply receives a response or cookie reply to send
    /// back to the sender (at least 148 bytes).
    /// </summary>
    public HandshakeResult<TOwner> ProcessHandshake(ReadOnlySpan<byte> message, ReadOnlySpan<byte> sourceAddress,
        TimeSpan now, bool underLoad, Span<byte> reply)
    {
        var type = MessageLayout.Classify(message, out var reason);
        if (type == MessageType.None) return HandshakeResult<TOwner>.Reject(reason);
        switch (type)
        {
            case MessageType.CookieReply:
            {
                uint receiver = MessageLayout.ReadUInt32(message, MessageLayout.CookieReceiver);
                if (!Indices.TryLookup(receiver, out var entry)) return HandshakeResult<TOwner>.Reject(RejectReason.UnknownReceiverIndex);
                return entry.Peer.Cookies.ConsumeReply(message, now)
                    ? new HandshakeResult<TOwner>(HandshakeOutcome.CookieConsumed, RejectReason.None, entry.Peer, 0)
                    : HandshakeResult<TOwner>.Reject(RejectReason.DecryptFailed, entry.Peer);
            }
            case MessageType.HandshakeInitiation:
            case MessageType.HandshakeResponse:
                break;
            default:
                return HandshakeResult<TOwner>.Reject(RejectReason.UnknownType);
        }

        if (!Identity.HasKey) return HandshakeResult<TOwner>.Reject(RejectReason.NoPrivateKey);
        if (!Identity.CookieChecker.CheckMac1(message)) return HandshakeResult<TOwner>.Reject(RejectReason.BadMac1);
        if (underLoad && !Identity.CookieChecker.CheckMac2(message, sourceAddress, now))
        {
            if (!CookieReplyLimiter.Allow(AddressPart(sourceAddress), now)) return HandshakeResult<TOwner>.Reject(RejectReason.RateLimited);
            uint sender = MessageLayout.ReadUInt32(message, type == MessageType.HandshakeInitiation ? MessageLayout.InitSender : MessageLayout.RespSender);
            return Identity.CookieChecker.CreateReply(message, sender, sourceAddress, now, reply)
                ? new HandshakeResult<TOwner>(HandshakeOutcome.CookieReplyWritten, RejectReason.CookieRequired, null, MessageLayout.CookieReplySize)
                : HandshakeResult<TOwner>.Reject(RejectReason.NoPrivateKey);
        }
        // A valid mac2 proves the address, not good faith: each source gets a small budget of Diffie-Hellman work.
        if (underLoad && !RateLimiter.Allow(AddressPart(sourceAddress), now)) return HandshakeResult<TOwner>.Reject(RejectReason.RateLimited);

        return type == MessageType.HandshakeInitiation
            ? ProcessInitiation(message, now, reply)
            : ProcessResponse(message, now);
    }

    /// <summary>The IP address in a source (address bytes then a 2-byte port).</summary>
    private static ReadOnlySpan<byte> AddressPart(ReadOnlySpan<byte> source) => source.Length > 2 ? source[..^2] : default;

    private HandshakeResult<TOwner> ProcessInitiation(ReadOnlySpan<byte> message, TimeSpan now, Span<byte> reply)
    {
        var reason = NoiseProtocol.ConsumeInitiation(Identity, message, k => FindPeer(k)?.Handshake, now, out var hs);
        if (reason != RejectReason.None || hs is null) return HandshakeResult<TOwner>.Reject(reason);
        var peer = FindPeer(hs.RemoteStatic);
        if (peer is null) return HandshakeResult<TOwner>.Reject(RejectReason.UnknownPeer);

        Keypair? keypair;
        using (hs.Enter())
        {
            Indices.Remove(hs.LocalIndex);
            uint index = Indices.NewIndexForHandshake(peer, hs);
            if (!NoiseProtocol.CreateResponse(hs, index, reply))
            {
                Indices.Remove(index);
                return HandshakeResult<TOwner>.Reject(RejectReason.BadPublicKey, peer);
            }
            keypair = DeriveKeypairLocked(peer, hs, now);
            if (keypair is null) return HandshakeResult<TOwner>.Reject(RejectReason.WrongHandshakeState, peer);
        }
        peer.Cookies.AddMacs(reply[..MessageLayout.ResponseSize], now);
        InstallKeypair(peer, keypair);
        peer.OnResponseSent(now);
        return new HandshakeResult<TOwner>(HandshakeOutcome.ResponseWritten, RejectReason.None, peer, MessageLayout.ResponseSize);
    }

    private HandshakeResult<TOwner> ProcessResponse(ReadOnlySpan<byte> message, TimeSpan now)
    {
        ProtocolPeer<TOwner>? peer = null;
        var reason = NoiseProtocol.ConsumeResponse(Identity, message, index =>
        {
            if (!Indices.TryLookup(index, out var e) || e.Handshake is null) return null;
            peer = e.Peer;
            return e.Handshake;
        }, out var hs);
        if (reason != RejectReason.None || hs is null || peer is null) return HandshakeResult<TOwner>.Reject(reason, peer);

        Keypair? keypair;
        using (hs.Enter()) keypair = DeriveKeypairLocked(peer, hs, now);
        if (keypair is null) return HandshakeResult<TOwner>.Reject(RejectReason.WrongHandshakeState, peer);
        InstallKeypair(peer, keypair);
        peer.OnSessionEstablished(now, WallClock());
        return new HandshakeResult<TOwner>(HandshakeOutcome.SessionEstablished, RejectReason.None, peer, 0);
    }

    /// <summary>
    /// Turns a completed handshake into a keypair registered under the handshake's index (which
    /// now names the session); null if the handshake is not complete. The caller holds the handshake's lock.
    /// </summary>
    private Keypair? DeriveKeypairLocked(ProtocolPeer<TOwner> peer, Handshake hs, TimeSpan now)
    {
        Span<byte> send = stackalloc byte[32];
        Span<byte> recv = stackalloc byte[32];
        uint index = hs.LocalIndex, remote = hs.RemoteIndex;
        if (!NoiseProtocol.DeriveTransportKeys(hs, send, recv, out bool isInitiator))
        {
            Indices.Remove(index);
            return null;
        }
        var keypair = new Keypair(send, recv, isInitiator, index, remote, now);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(send);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(recv);
        Indices.SwapToKeypair(index, peer, keypair);
        hs.LocalIndex = 0;
        return keypair;
    }

    /// <summary>Rotates a new keypair into the peer's set and forgets the indices of those it drops.</summary>
    private void InstallKeypair(ProtocolPeer<TOwner> peer, Keypair keypair)
    {
        var dropped = new List<Keypair>(3);
        peer.Keypairs.Install(keypair, dropped);
        Forget(dropped);
    }

    /// <summary>
    /// The checks on a transport message that come before the AEAD: layout, receiver index,
    /// keypair expiry, counter limit. On success the result names the peer and keypair and the plaintext
    /// length, and counter is the message's counter; the caller then opens with
    /// <see cref="Transport.Keypair.Open"/> (on any thread) and, in arrival order per peer, records the
    /// counter with <see cref="Transport.Keypair.AcceptCounter"/> (the replay window) before using the packet.
    /// </summary>
    public TransportResult<TOwner> LookupTransport(ReadOnlySpan<byte> message, TimeSpan now, out ulong counter)
    {
        counter = 0;
        if (message.Length < MessageLayout.MinTransportSize || message[0] != (byte)MessageType.TransportData ||
            message[1] != 0 || message[2] != 0 || message[3] != 0)
            return new TransportResult<TOwner>(RejectReason.WrongLength, null, null, 0);
        uint receiver = MessageLayout.ReadUInt32(message, MessageLayout.DataReceiver);
        if (!Indices.TryLookup(receiver, out var entry) || entry.Keypair is not { } keypair)
            return new TransportResult<TOwner>(RejectReason.UnknownReceiverIndex, null, null, 0);
        if (!keypair.IsValidForReceiving(now))
            return new TransportResult<TOwner>(RejectReason.KeypairExpired, entry.Peer, keypair, 0);
        counter = BinaryPrimitives.ReadUInt64LittleEndian(message[MessageLayout.DataCounter..]);
        if (counter >= ProtocolConstants.RejectAfterMessages)
            return new TransportResult<TOwner>(RejectReason.CounterLimit, entry.Peer, keypair, 0);
        return new TransportResult<TOwner>(RejectReason.None, entry.Peer, keypair, message.Length - MessageLayout.MinTransportSize);
    }
}
