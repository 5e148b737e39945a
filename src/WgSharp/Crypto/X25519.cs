using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>Curve25519 Diffie-Hellman (RFC 7748) backed by libsodium.</summary>
internal static unsafe class X25519
{
    public const int KeySize = 32;

    /// <summary>
    /// Applies the RFC 7748 clamping. wg(4) promises that any 32 random bytes are a valid
    /// private key, so we clamp every key we are given before using or storing it.
    /// </summary>
    public static void Clamp(Span<byte> privateKey)
    {
        if (privateKey.Length != KeySize) throw new ArgumentException("X25519 key must be 32 bytes");
        privateKey[0] &= 248;
        privateKey[31] &= 127;
        privateKey[31] |= 64;
    }

    public static void GeneratePrivateKey(Span<byte> privateKey)
    {
        SecureRandom.Fill(privateKey);
        Clamp(privateKey);
    }

    /// <summary>Derives the public key; the private key is clamped on a copy, the input is untouched.</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        if (privateKey.Length != KeySize || publicKey.Length != KeySize)
            throw new ArgumentException("X25519 keys must be 32 bytes");
        Span<byte> k = stackalloc byte[KeySize];
        privateKey.CopyTo(k);
        Clamp(k);
        Sodium.EnsureInitialized();
        fixed (byte* pk = publicKey)
        fixed (byte* sk = k)
            Sodium.crypto_scalarmult_curve25519_base(pk, sk);
        CryptographicOperations.ZeroMemory(k);
        Keys.SecretMemory.ScrubStack(NativeStackBytes);
    }

    /// <summary>
    /// More than libsodium's scalar multiplication uses: it copies and clamps the private key in its own frame and
    /// leaves it there, so that region is overwritten after every call (a core image held the key, issue 21).
    /// </summary>
    private const int NativeStackBytes = 16 * 1024;

    /// <summary>
    /// Computes the shared secret. Returns false (and zeroes the output) when the result is
    /// the all-zero point, which happens for low-order public keys and must be refused.
    /// </summary>
    public static bool SharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> shared)
    {
        if (privateKey.Length != KeySize || publicKey.Length != KeySize || shared.Length != KeySize)
            throw new ArgumentException("X25519 keys must be 32 bytes");
        Sodium.EnsureInitialized();
        int rc;
        fixed (byte* q = shared)
        fixed (byte* n = privateKey)
        fixed (byte* p = publicKey)
            rc = Sodium.crypto_scalarmult_curve25519(q, n, p);
        Keys.SecretMemory.ScrubStack(NativeStackBytes);
        // libsodium returns -1 exactly when the output is all zeros; double-check in constant time anyway.
        if (rc != 0 || IsZero(shared))
        {
            CryptographicOperations.ZeroMemory(shared);
            return false;
        }
        return true;
    }

    internal static bool IsZero(ReadOnlySpan<byte> data)
    {
        int acc = 0;
        foreach (byte b in data) acc |= b;
        return acc == 0;
    }
}
