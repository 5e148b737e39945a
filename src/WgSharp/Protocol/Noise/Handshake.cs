using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Keys;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// The per-peer Noise_IKpsk2 state: the running hash and chaining key, our ephemeral, the
/// indices, and what replay protection needs (greatest timestamp, last initiation time).
/// Callers hold its lock (<see cref="Enter"/>) while reading or changing it: the protocol's own classes
/// (ProtocolPeer, ProtocolEngine, NoiseProtocol) do; the device only calls ProtocolPeer's methods.
/// </summary>
internal sealed class Handshake
{
    private readonly Lock _lock = new();

    /// <summary>Takes this handshake's lock (LockLevel.Handshake); dispose the result to leave it.</summary>
    internal LockOrder.Scope Enter() => LockOrder.Enter(_lock, LockLevel.Handshake);

    public Handshake(in Key remoteStatic) => RemoteStatic = remoteStatic;

    public Key RemoteStatic { get; }
    public HandshakeState State { get; internal set; }

    // The state's byte fields live in two arrays, not seven: what a peer keeps (preshared key, static-static
    // secret, greatest timestamp) and what only a handshake in flight uses (hash, chaining key, ephemerals), made
    // with the peer's first handshake: most of 100,000 configured peers never start one (docs/performance.md).
    // Pinned, so a compacting GC never leaves a stale copy of a secret behind in memory it has freed.
    private const int FieldSize = 32;
    private readonly byte[] _kept = GC.AllocateArray<byte>(2 * FieldSize + Tai64N.Size, pinned: true);
    private byte[]? _inFlight;

    // Zeroes until first written, as a cleared handshake's are.
    private byte[] InFlight => Volatile.Read(ref _inFlight) ?? MakeInFlight();

    internal Span<byte> Hash => InFlight.AsSpan(0, FieldSize);
    internal Span<byte> ChainKey => InFlight.AsSpan(FieldSize, FieldSize);
    internal Span<byte> LocalEphemeral => InFlight.AsSpan(2 * FieldSize, FieldSize);
    internal Span<byte> RemoteEphemeral => InFlight.AsSpan(3 * FieldSize, FieldSize);
    internal Span<byte> PresharedKey => _kept.AsSpan(0, FieldSize);
    /// <summary>DH(our static, their static), fixed for a key pair, so computed once.</summary>
    internal Span<byte> PrecomputedStaticStatic => _kept.AsSpan(FieldSize, FieldSize);
    internal bool StaticStaticValid;
    internal Span<byte> GreatestTimestamp => _kept.AsSpan(2 * FieldSize, Tai64N.Size);

    private byte[] MakeInFlight()
    {
        var made = GC.AllocateArray<byte>(4 * FieldSize, pinned: true);
        return Interlocked.CompareExchange(ref _inFlight, made, null) ?? made;
    }

    public uint LocalIndex { get; internal set; }
    public uint RemoteIndex { get; internal set; }
    /// <summary>Monotonic time of the last initiation we accepted from this peer (flood guard).</summary>
    public TimeSpan? LastInitiationConsumption
    {
        get => _lastInitiationTicks == Never ? null : TimeSpan.FromTicks(_lastInitiationTicks);
        internal set => _lastInitiationTicks = value?.Ticks ?? Never;
    }
    private const long Never = long.MinValue;
    private long _lastInitiationTicks = Never; // ticks, not a TimeSpan?: 8 bytes less for each of 100,000 peers

    public void SetPresharedKey(in Key? psk)
    {
        if (psk is { } k) k.CopyTo(PresharedKey);
        else CryptographicOperations.ZeroMemory(PresharedKey);
    }

    public bool HasPresharedKey => !X25519.IsZero(PresharedKey);

    /// <summary>Recomputes DH(local static, remote static); invalid if the result is the zero point.</summary>
    public void UpdateStaticStatic(StaticKeyPair? local)
    {
        StaticStaticValid = local is not null &&
            X25519.SharedSecret(local.PrivateKey, RemoteStatic.AsSpan(), PrecomputedStaticStatic);
        if (!StaticStaticValid) CryptographicOperations.ZeroMemory(PrecomputedStaticStatic);
    }

    /// <summary>Forgets the in-flight handshake (keeps identity, psk and replay state).</summary>
    public void Clear()
    {
        if (Volatile.Read(ref _inFlight) is { } inFlight) CryptographicOperations.ZeroMemory(inFlight); // none made: nothing to wipe
        LocalIndex = 0;
        RemoteIndex = 0;
        State = HandshakeState.Zeroed;
    }

    /// <summary>Zeroes every secret, for a peer being removed.</summary>
    public void Destroy()
    {
        Clear();
        CryptographicOperations.ZeroMemory(PresharedKey);
        CryptographicOperations.ZeroMemory(PrecomputedStaticStatic);
        StaticStaticValid = false;
    }
}
