using System.Runtime.InteropServices;

namespace WgSharp.Crypto;

/// <summary>
/// Thin P/Invoke layer over libsodium (shipped by the "libsodium" NuGet package).
/// X25519 and XChaCha20-Poly1305 come from here because the BCL lacks them; ChaCha20-Poly1305
/// too (handshake and transport data), because it measured faster than the BCL's and fails
/// without an exception (docs/crypto.md).
/// </summary>
internal static unsafe partial class Sodium
{
    private const string Lib = "libsodium";

    static Sodium()
    {
        if (sodium_init() < 0)
            throw new InvalidOperationException("libsodium failed to initialise");
    }

    /// <summary>Forces the static constructor (sodium_init) to run.</summary>
    public static void EnsureInitialized() { }

    [LibraryImport(Lib)]
    private static partial int sodium_init();

    [LibraryImport(Lib)]
    internal static partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

    [LibraryImport(Lib)]
    internal static partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        byte* c, byte* mac, ulong* maclen_p, byte* m, ulong mlen, byte* ad, ulong adlen,
        byte* nsec, byte* npub, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_decrypt_detached(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen,
        byte* npub, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        byte* c, byte* mac, ulong* maclen_p, byte* m, ulong mlen, byte* ad, ulong adlen,
        byte* nsec, byte* npub, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen,
        byte* npub, byte* k);
}
