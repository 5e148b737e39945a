using System.Buffers.Binary;

namespace WgSharp.Crypto;

/// <summary>Which library computes ChaCha20-Poly1305 in this process.</summary>
internal enum AeadBackend
{
    /// <summary>
    /// OpenSSL's libcrypto, called directly with a context per thread, for messages of
    /// <see cref="ChaChaPoly.OpenSslMinimumLength"/> bytes or more; libsodium for shorter ones.
    /// </summary>
    OpenSsl,
    /// <summary>libsodium's one-shot calls: where no usable libcrypto is found, or WGSHARP_AEAD=libsodium.</summary>
    Libsodium,
}

/// <summary>
/// One-shot ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce layout: 4 zero bytes then a 64-bit
/// little-endian counter. Used by the handshake and for every transport packet. The library behind it
/// is chosen once per process (<see cref="Backend"/>): OpenSSL when it loads and passes its self-test,
/// otherwise libsodium; both produce the same bytes (tests prove each on the RFC vectors). OpenSSL
/// streams 2-3x faster but costs more per call, so short messages (keepalives, ACKs, the handshake's
/// fields) still go to libsodium, which is faster below about 200 bytes (docs/crypto.md).
/// </summary>
internal static class ChaChaPoly
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int NonceSize = 12;

    // A static readonly the JIT treats as a constant once the class is initialised: no per-call dispatch cost.
    private static readonly bool s_openSsl = OpenSslChaChaPoly.IsAvailable;

    public static AeadBackend Backend => s_openSsl ? AeadBackend.OpenSsl : AeadBackend.Libsodium;

    /// <summary>Messages (plaintext bytes) at least this long go to OpenSSL when it is the backend.</summary>
    public const int OpenSslMinimumLength = 256;

    /// <summary>
    /// Lets this thread keep a session key loaded between calls until the scope ends (dispose it), for a batch
    /// of packets sealed or opened together: see <see cref="OpenSslChaChaPoly.KeepKeysForBatch"/>. A no-op for libsodium.
    /// </summary>
    public static OpenSslChaChaPoly.BatchScope KeepKeysForBatch() => OpenSslChaChaPoly.KeepKeysForBatch();

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
        CheckSizes(key, nonce);
        if (destination.Length < plaintext.Length + TagSize) throw new ArgumentException("destination too small");
        if (s_openSsl && plaintext.Length >= OpenSslMinimumLength) OpenSslChaChaPoly.Seal(key, nonce, plaintext, associatedData, destination);
        else SodiumChaChaPoly.Seal(key, nonce, plaintext, associatedData, destination);
    }

    /// <summary>RFC 8439 AEAD open with a raw 96-bit nonce; false on any authentication failure.</summary>
    internal static bool OpenWithNonce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        CheckSizes(key, nonce);
        if (ciphertextAndTag.Length < TagSize) return false;
        if (destination.Length < ciphertextAndTag.Length - TagSize) throw new ArgumentException("destination too small");
        return s_openSsl && ciphertextAndTag.Length - TagSize >= OpenSslMinimumLength
            ? OpenSslChaChaPoly.Open(key, nonce, ciphertextAndTag, associatedData, destination)
            : SodiumChaChaPoly.Open(key, nonce, ciphertextAndTag, associatedData, destination);
    }

    private static void CheckSizes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != KeySize) throw new ArgumentException("key must be 32 bytes");
        if (nonce.Length != NonceSize) throw new ArgumentException("nonce must be 12 bytes");
    }

    internal static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
