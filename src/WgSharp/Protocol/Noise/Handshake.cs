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

    // The state's byte fields live in two arrays, not seven: what a peer keeps (static-static secret, greatest
    // timestamp) and what only a handshake in flight uses (hash, chaining key, ephemerals), made with the peer's
    // first handshake: most of 100,000 configured peers never start one (docs/performance.md).
    // Pinned, so a compacting GC never leaves a stale copy of a secret behind in memory it has freed.
    // The preshared key, set by the operator and kept for the peer's life, lives in locked no-dump memory shared by
    // all peers (issue 21: a core image held it), and only while one is set.
    private const int FieldSize = 32;
    private readonly byte[] _kept = GC.AllocateArray<byte>(FieldSize + Tai64N.Size, pinned: true);
    private SecretSlot _presharedKey;
    private static readonly byte[] NoPresharedKey = new byte[FieldSize];
    private byte[]? _inFlight;

    // Zeroes until first written, as a cleared handshake's are.
    private byte[] InFlight => Volatile.Read(ref _inFlight) ?? MakeInFlight();

    internal Span<byte> Hash => InFlight.AsSpan(0, FieldSize);
    internal Span<byte> ChainKey => InFlight.AsSpan(FieldSize, FieldSize);
    internal Span<byte> LocalEphemeral => InFlight.AsSpan(2 * FieldSize, FieldSize);
    internal Span<byte> RemoteEphemeral => InFlight.AsSpan(3 * FieldSize, FieldSize);
    /// <summary>The preshared key, 32 zeroes when none is set.</summary>
    internal ReadOnlySpan<byte> PresharedKey => _presharedKey.IsEmpty ? NoPresharedKey : _presharedKey.Span;
    /// <summary>DH(our static, their static), fixed for a key pair, so computed once.</summary>
    internal Span<byte> PrecomputedStaticStatic => _kept.AsSpan(0, FieldSize);
    internal bool StaticStaticValid;
    internal Span<byte> GreatestTimestamp => _kept.AsSpan(FieldSize, Tai64N.Size);

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

    /// <summary>Sets or (null, or the zero key) removes the preshared key.</summary>
    /// <exception cref="InvalidOperationException">The arena's limit of preshared keys is reached (nothing changed).</exception>
    public void SetPresharedKey(in Key? psk)
    {
        if (psk is { IsZero: false } k)
        {
            if (_presharedKey.IsEmpty) _presharedKey = SecretArena.Keys.Rent();
            k.CopyTo(_presharedKey.Span);
        }
        else ForgetPresharedKey();
    }

    private void ForgetPresharedKey()
    {
        var slot = _presharedKey;
        _presharedKey = default;
        SecretArena.Keys.Return(slot);
    }

    public bool HasPresharedKey => !_presharedKey.IsEmpty;

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
        ForgetPresharedKey();
        CryptographicOperations.ZeroMemory(PrecomputedStaticStatic);
        StaticStaticValid = false;
    }
}
