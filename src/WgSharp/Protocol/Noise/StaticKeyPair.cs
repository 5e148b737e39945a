using System.Security.Cryptography;
using WgSharp.Keys;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// Our static key pair, immutable: a change of private key makes a new one and swaps it in whole, so a
/// handshake never sees the private key of one identity with the public key of another. The private key
/// lives in pinned memory (a compacting GC never leaves a stale copy behind) and is zeroed on Dispose.
/// </summary>
internal sealed class StaticKeyPair : IDisposable
{
    private readonly byte[] _privateKey = GC.AllocateArray<byte>(Key.Size, pinned: true);

    /// <summary>Clamps rawPrivateKey (as wg(4) promises) and derives the public key.</summary>
    public StaticKeyPair(in Key rawPrivateKey)
    {
        SecretMemory.Protect(_privateKey); // out of core dumps and swap (issue 21)
        var clamped = KeyPair.ClampPrivateKey(rawPrivateKey);
        clamped.CopyTo(_privateKey);
        PublicKey = KeyPair.DerivePublicKey(clamped);
    }

    public ReadOnlySpan<byte> PrivateKey => _privateKey;
    public Key PublicKey { get; }

    /// <summary>Whether rawPrivateKey (clamped) is this private key, compared in constant time.</summary>
    public bool IsPrivateKey(in Key rawPrivateKey) =>
        CryptographicOperations.FixedTimeEquals(KeyPair.ClampPrivateKey(rawPrivateKey).AsSpan(), _privateKey);

    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);
}
