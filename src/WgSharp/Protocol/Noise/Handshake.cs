using System.Security.Cryptography;
using WgSharp.Crypto;
using WgSharp.Keys;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// The per-peer Noise_IKpsk2 state: the running hash and chaining key, our ephemeral, the
/// indices, and what replay protection needs (greatest timestamp, last initiation time).
/// Callers hold <see cref="Lock"/> while reading or changing it.
/// </summary>
internal sealed class Handshake
{
    public readonly object Lock = new();

    public Handshake(in Key remoteStatic) => RemoteStatic = remoteStatic;

    public Key RemoteStatic { get; }
    public HandshakeState State { get; internal set; }

    // All of the state's byte fields live in one array: a peer costs one object header instead of seven
    // (memory per idle peer matters at 100,000 peers). Pinned, so a compacting GC never leaves a stale
    // copy of the preshared key or the static-static secret behind in memory it has freed.
    private const int FieldSize = 32;
    private readonly byte[] _fields = GC.AllocateArray<byte>(6 * FieldSize + Tai64N.Size, pinned: true);

    internal Span<byte> Hash => _fields.AsSpan(0, FieldSize);
    internal Span<byte> ChainKey => _fields.AsSpan(FieldSize, FieldSize);
    internal Span<byte> LocalEphemeral => _fields.AsSpan(2 * FieldSize, FieldSize);
    internal Span<byte> RemoteEphemeral => _fields.AsSpan(3 * FieldSize, FieldSize);
    internal Span<byte> PresharedKey => _fields.AsSpan(4 * FieldSize, FieldSize);
    /// <summary>DH(our static, their static), fixed for a key pair, so computed once.</summary>
    internal Span<byte> PrecomputedStaticStatic => _fields.AsSpan(5 * FieldSize, FieldSize);
    internal bool StaticStaticValid;
    internal Span<byte> GreatestTimestamp => _fields.AsSpan(6 * FieldSize, Tai64N.Size);

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
        CryptographicOperations.ZeroMemory(Hash);
        CryptographicOperations.ZeroMemory(ChainKey);
        CryptographicOperations.ZeroMemory(LocalEphemeral);
        CryptographicOperations.ZeroMemory(RemoteEphemeral);
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
