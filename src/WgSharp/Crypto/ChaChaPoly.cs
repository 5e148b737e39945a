using System.Buffers.Binary;

namespace WgSharp.Crypto;

/// <summary>
/// One-shot ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce layout: 4 zero bytes then a
/// 64-bit little-endian counter, backed by libsodium. Used directly by the handshake; transport
/// data goes through <see cref="TransportCipher"/>, which binds a key to these same calls.
/// </summary>
public static unsafe class ChaChaPoly
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>Writes ciphertext||tag into destination (plaintext.Length + 16 bytes).</summary>
    public static void Seal(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, counter);
        SealWithNonce(key, nonce, plaintext, associatedData, destination);
    }

    /// <summary>Verifies and decrypts ciphertext||tag; returns false on any authentication failure.</summary>
    public static bool Open(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        WriteNonce(nonce, counter);
        return OpenWithNonce(key, nonce, ciphertextAndTag, associatedData, destination);
    }

    /// <summary>
    /// RFC 8439 AEAD with a raw 96-bit nonce. WireGuard itself only needs the counter form above;
    /// this exists so the RFC's own vectors (which use arbitrary nonces) can prove the code path.
    /// </summary>
    internal static void SealWithNonce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (key.Length != KeySize) throw new ArgumentException("key must be 32 bytes");
        if (nonce.Length != NonceSize) throw new ArgumentException("nonce must be 12 bytes");
        if (destination.Length < plaintext.Length + TagSize) throw new ArgumentException("destination too small");
        Sodium.EnsureInitialized();
        fixed (byte* c = destination)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            Sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(c, c + plaintext.Length, null,
                m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k);
    }

    /// <summary>RFC 8439 AEAD open with a raw 96-bit nonce; false on any authentication failure.</summary>
    internal static bool OpenWithNonce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (key.Length != KeySize) throw new ArgumentException("key must be 32 bytes");
        if (nonce.Length != NonceSize) throw new ArgumentException("nonce must be 12 bytes");
        if (ciphertextAndTag.Length < TagSize) return false;
        int len = ciphertextAndTag.Length - TagSize;
        if (destination.Length < len) throw new ArgumentException("destination too small");
        Sodium.EnsureInitialized();
        fixed (byte* m = destination)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            return Sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(m, null, c, (ulong)len,
                c + len, ad, (ulong)associatedData.Length, n, k) == 0;
    }

    internal static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
