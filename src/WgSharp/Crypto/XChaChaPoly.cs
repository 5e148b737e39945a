namespace WgSharp.Crypto;

/// <summary>XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), used only for cookie replies.</summary>
internal static unsafe class XChaChaPoly
{
    public const int KeySize = 32;
    public const int NonceSize = 24;
    public const int TagSize = 16;

    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (key.Length != KeySize || nonce.Length != NonceSize) throw new ArgumentException("bad key or nonce size");
        if (destination.Length < plaintext.Length + TagSize) throw new ArgumentException("destination too small");
        Sodium.EnsureInitialized();
        fixed (byte* c = destination)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            Sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, c + plaintext.Length, null,
                m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k);
    }

    public static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (key.Length != KeySize || nonce.Length != NonceSize) throw new ArgumentException("bad key or nonce size");
        if (ciphertextAndTag.Length < TagSize) return false;
        int len = ciphertextAndTag.Length - TagSize;
        if (destination.Length < len) throw new ArgumentException("destination too small");
        Sodium.EnsureInitialized();
        fixed (byte* m = destination)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            return Sodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, null, c, (ulong)len,
                c + len, ad, (ulong)associatedData.Length, n, k) == 0;
    }
}
