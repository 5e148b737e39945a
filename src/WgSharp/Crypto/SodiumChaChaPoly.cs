namespace WgSharp.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) through libsodium's one-shot detached calls: used by <see cref="ChaChaPoly"/>
/// for short messages, where it is faster than OpenSSL, and for everything where OpenSSL's libcrypto is
/// missing. Stateless and thread-safe; it checks the tag before decrypting.
/// </summary>
internal static unsafe class SodiumChaChaPoly
{
    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        Sodium.EnsureInitialized();
        fixed (byte* c = destination)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            Sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(c, c + plaintext.Length, null,
                m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k);
    }

    public static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        int len = ciphertextAndTag.Length - ChaChaPoly.TagSize;
        Sodium.EnsureInitialized();
        fixed (byte* m = destination)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            return Sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(m, null, c, (ulong)len,
                c + len, ad, (ulong)associatedData.Length, n, k) == 0;
    }
}
