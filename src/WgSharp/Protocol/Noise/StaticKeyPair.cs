using System.Security.Cryptography;
using WgSharp.Keys;

namespace WgSharp.Protocol.Noise;

/// <summary>
/// Our static key pair, immutable: a change of private key makes a new one and swaps it in whole, so a
/// handshake never sees the private key of one identity with the public key of another. The private key
/// lives in pinned memory (a compacting GC never leaves a stale copy behind) and is zeroed when the last of its
/// holders lets go: the identity (until it retires the pair with <see cref="Dispose"/>) and every handshake that
/// took a hold (<see cref="TryHold"/>) meanwhile, so a handshake in flight never computes with zeroed keys.
/// </summary>
internal sealed class StaticKeyPair : IDisposable
{
    private readonly byte[] _privateKey = GC.AllocateArray<byte>(Key.Size, pinned: true);
    private int _holders = 1; // the identity's own hold, dropped by Dispose; 0: zeroed, no hold can be taken

    /// <summary>Clamps rawPrivateKey (as wg(4) promises) and derives the public key.</summary>
    public StaticKeyPair(in Key rawPrivateKey)
    {
        SecretMemory.Protect(_privateKey); // out of core dumps and swap (issue 21)
        var clamped = KeyGenerator.ClampPrivateKey(rawPrivateKey);
        clamped.CopyTo(_privateKey);
        PublicKey = KeyGenerator.DerivePublicKey(clamped);
    }

    public ReadOnlySpan<byte> PrivateKey => _privateKey;
    public Key PublicKey { get; }

    /// <summary>Whether rawPrivateKey (clamped) is this private key, compared in constant time.</summary>
    public bool IsPrivateKey(in Key rawPrivateKey) =>
        CryptographicOperations.FixedTimeEquals(KeyGenerator.ClampPrivateKey(rawPrivateKey).AsSpan(), _privateKey);

    /// <summary>Takes a hold on the keys, unless they were already zeroed (retired and let go by everyone).</summary>
    public bool TryHold()
    {
        int holders = Volatile.Read(ref _holders);
        while (holders > 0)
        {
            int seen = Interlocked.CompareExchange(ref _holders, holders + 1, holders);
            if (seen == holders) return true;
            holders = seen;
        }
        return false;
    }

    /// <summary>Lets go of a hold; the last one zeroes the private key.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0) CryptographicOperations.ZeroMemory(_privateKey);
    }

    /// <summary>Retires the pair (the identity's hold): zeroed now, or when the last handshake holding it ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0) Release();
    }

    private int _retired;
}
