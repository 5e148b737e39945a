using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) through OpenSSL's libcrypto EVP interface, called directly. OpenSSL
/// has the fastest ChaCha20 and Poly1305 on x86-64 (AVX2/AVX-512); the BCL's wrapper over it costs
/// a cipher setup per call, so we keep one encrypting and one decrypting context per thread, made
/// once, and per packet only load the key and nonce into it (docs/crypto.md has the measurements).
/// <see cref="IsAvailable"/> is false when no libcrypto (3 or 1.1) loads or the library fails the
/// RFC 8439 self-test; <see cref="ChaChaPoly"/> then uses libsodium.
/// </summary>
internal static unsafe class OpenSslChaChaPoly
{
    private const int CtrlAeadGetTag = 0x10, CtrlAeadSetTag = 0x11;
    private const int Decrypt = 0, Encrypt = 1, KeepDirection = -1;

    // libcrypto entry points, resolved once; all arguments are blittable, so no marshalling stubs.
    private static readonly delegate* unmanaged<nint> EVP_CIPHER_CTX_new;
    private static readonly delegate* unmanaged<nint, void> EVP_CIPHER_CTX_free;
    private static readonly delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int> EVP_CipherInit_ex;
    private static readonly delegate* unmanaged<nint, byte*, int*, byte*, int, int> EVP_CipherUpdate;
    private static readonly delegate* unmanaged<nint, byte*, int*, int> EVP_CipherFinal_ex;
    private static readonly delegate* unmanaged<nint, int, int, void*, int> EVP_CIPHER_CTX_ctrl;
    private static readonly nint s_cipher;
    private static readonly byte[] s_zeroKey = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);

    [ThreadStatic] private static ThreadContexts? t_contexts;

    static OpenSslChaChaPoly()
    {
        // Off Linux there is no libcrypto.so to find (and probing for one would load whatever the search path holds):
        // libsodium, which the package ships for every system, is the AEAD there.
        if (!ShouldProbe(AppContext.TryGetSwitch(ForceLibsodiumSwitch, out bool forced) && forced, OperatingSystem.IsLinux())) return;
        nint lib = 0;
        foreach (var name in new[] { "libcrypto.so.3", "libcrypto.so.1.1" })
            if (NativeLibrary.TryLoad(name, out lib)) break;
        if (lib == 0) return;
        try
        {
            EVP_CIPHER_CTX_new = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "EVP_CIPHER_CTX_new");
            EVP_CIPHER_CTX_free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "EVP_CIPHER_CTX_free");
            EVP_CipherInit_ex = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int>)NativeLibrary.GetExport(lib, "EVP_CipherInit_ex");
            EVP_CipherUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)NativeLibrary.GetExport(lib, "EVP_CipherUpdate");
            EVP_CipherFinal_ex = (delegate* unmanaged<nint, byte*, int*, int>)NativeLibrary.GetExport(lib, "EVP_CipherFinal_ex");
            EVP_CIPHER_CTX_ctrl = (delegate* unmanaged<nint, int, int, void*, int>)NativeLibrary.GetExport(lib, "EVP_CIPHER_CTX_ctrl");
            s_cipher = FetchCipher(lib);
        }
        catch (EntryPointNotFoundException)
        {
            s_cipher = 0;
        }
        if (s_cipher != 0 && !SelfTestPasses()) s_cipher = 0;
    }

    public static bool IsAvailable => s_cipher != 0;

    /// <summary>
    /// The AppContext switch that sends all ChaCha20-Poly1305 through libsodium (the daemon sets it for
    /// WGSHARP_AEAD=libsodium). Read once, at the first AEAD use: the backend is chosen for the whole process.
    /// A switch and not a field: the library keeps no process-wide settings of its own.
    /// </summary>
    public const string ForceLibsodiumSwitch = "WgSharp.Crypto.ForceLibsodiumAead";

    /// <summary>Whether to look for libcrypto at all: on Linux, unless libsodium is forced (WGSHARP_AEAD=libsodium).</summary>
    internal static bool ShouldProbe(bool forceLibsodium, bool isLinux) => isLinux && !forceLibsodium;

    /// <summary>OpenSSL 3 fetches the implementation by name; 1.1 has a getter for it.</summary>
    private static nint FetchCipher(nint lib)
    {
        if (NativeLibrary.TryGetExport(lib, "EVP_CIPHER_fetch", out var fetch))
        {
            var name = "ChaCha20-Poly1305\0"u8;
            fixed (byte* n = name)
                return ((delegate* unmanaged<nint, byte*, byte*, nint>)fetch)(0, n, null);
        }
        return NativeLibrary.TryGetExport(lib, "EVP_chacha20_poly1305", out var getter) ? ((delegate* unmanaged<nint>)getter)() : 0;
    }

    /// <summary>Writes ciphertext||tag for plaintext (which may be the same memory as the ciphertext part).</summary>
    public static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        var context = Contexts.Seal;
        nint ctx = context.Handle;
        int length;
        fixed (byte* n = nonce)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* c = destination)
        {
            bool ok = context.Start(key, n) &&
                (associatedData.IsEmpty || EVP_CipherUpdate(ctx, null, &length, ad, associatedData.Length) == 1) &&
                // An empty update is skipped: with a null input pointer OpenSSL would take it for the final call.
                (plaintext.IsEmpty || EVP_CipherUpdate(ctx, c, &length, m, plaintext.Length) == 1) &&
                EVP_CipherFinal_ex(ctx, c + plaintext.Length, &length) == 1 &&
                EVP_CIPHER_CTX_ctrl(ctx, CtrlAeadGetTag, ChaChaPoly.TagSize, c + plaintext.Length) == 1;
            if (!ok || t_scopeDepth == 0) context.Forget();
            if (!ok) throw new InvalidOperationException("OpenSSL ChaCha20-Poly1305 encryption failed");
        }
    }

    /// <summary>Authenticates and decrypts ciphertext||tag; false on a bad tag. Output is garbage then and must be dropped.</summary>
    public static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag,
        ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        var context = Contexts.Open;
        nint ctx = context.Handle;
        int cipherLength = ciphertextAndTag.Length - ChaChaPoly.TagSize;
        int length;
        fixed (byte* n = nonce)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* m = destination)
        {
            bool ok = context.Start(key, n) &&
                EVP_CIPHER_CTX_ctrl(ctx, CtrlAeadSetTag, ChaChaPoly.TagSize, c + cipherLength) == 1 &&
                (associatedData.IsEmpty || EVP_CipherUpdate(ctx, null, &length, ad, associatedData.Length) == 1) &&
                (cipherLength == 0 || EVP_CipherUpdate(ctx, m, &length, c, cipherLength) == 1) &&
                EVP_CipherFinal_ex(ctx, m + cipherLength, &length) == 1;
            if (t_scopeDepth == 0) context.Forget();
            return ok;
        }
    }

    /// <summary>
    /// Within the scope, this thread's contexts keep their key between calls, so a run of packets under one key
    /// loads it once (OpenSSL 3 charges every key load a parameter lookup and a key setup) and skips the scrub
    /// after each; leaving the outermost scope scrubs. Outside any scope every call scrubs after itself. For
    /// a batch of packets processed together on one thread (the device's seal and open elements).
    /// </summary>
    public static BatchScope KeepKeysForBatch()
    {
        t_scopeDepth++;
        return new BatchScope();
    }

    /// <summary>Ends a <see cref="KeepKeysForBatch"/> scope (a ref struct: no allocation, cannot escape the thread).</summary>
    public readonly ref struct BatchScope
    {
        public void Dispose()
        {
            if (--t_scopeDepth == 0 && t_contexts is { } contexts)
            {
                contexts.Seal.Forget();
                contexts.Open.Forget();
            }
        }
    }

    /// <summary>True when one of this thread's contexts still holds a session key (tests).</summary>
    internal static bool ThreadHoldsAKey => t_contexts is { } contexts && (contexts.Seal.HoldsKey || contexts.Open.HoldsKey);

    [ThreadStatic] private static int t_scopeDepth;

    private static ThreadContexts Contexts => t_contexts ??= new ThreadContexts();

    /// <summary>This thread's two contexts; freed (OpenSSL clears them) when the thread is gone and this is collected.</summary>
    private sealed class ThreadContexts
    {
        public readonly CipherContext Seal = new(Encrypt);
        public readonly CipherContext Open = new(Decrypt);

        ~ThreadContexts()
        {
            Seal.Free();
            Open.Free();
        }
    }

    /// <summary>
    /// One EVP context and the key loaded into it, remembered in pinned memory (zeroed when forgotten) so the
    /// next message under the same key only sets its nonce.
    /// </summary>
    private sealed class CipherContext
    {
        private readonly byte[] _loadedKey = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);
        private readonly int _direction;

        public CipherContext(int direction)
        {
            _direction = direction;
            Handle = EVP_CIPHER_CTX_new();
            if (Handle == 0 || EVP_CipherInit_ex(Handle, s_cipher, 0, null, null, direction) != 1)
            {
                if (Handle != 0) EVP_CIPHER_CTX_free(Handle);
                throw new InvalidOperationException("OpenSSL ChaCha20-Poly1305 context could not be created");
            }
        }

        public nint Handle { get; }

        public bool HoldsKey { get; private set; }

        /// <summary>Starts a message: the nonce always, the key only when it is not the one already loaded.</summary>
        public bool Start(ReadOnlySpan<byte> key, byte* nonce)
        {
            if (HoldsKey && IsLoaded(key))
                return EVP_CipherInit_ex(Handle, 0, 0, null, nonce, _direction) == 1;
            fixed (byte* k = key)
            {
                if (EVP_CipherInit_ex(Handle, 0, 0, k, nonce, _direction) != 1) return false;
            }
            key.CopyTo(_loadedKey);
            HoldsKey = true;
            return true;
        }

        /// <summary>
        /// Whether <paramref name="key"/> is the loaded key, in time independent of the bytes: four 64-bit
        /// differences OR-ed together, no early exit. (The BCL's FixedTimeEquals, compiled without optimisation
        /// on purpose, cost 3 % of a sender's CPU here.)
        /// </summary>
        private bool IsLoaded(ReadOnlySpan<byte> key)
        {
            if (key.Length != ChaChaPoly.KeySize) return false;
            ReadOnlySpan<ulong> a = MemoryMarshal.Cast<byte, ulong>(key), b = MemoryMarshal.Cast<byte, ulong>(_loadedKey.AsSpan());
            ulong difference = (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]);
            return difference == 0;
        }

        /// <summary>
        /// Replaces the key in the context with zeros, so a session key does not outlive its keypair inside a
        /// context that this thread may not touch again for a long time.
        /// </summary>
        public void Forget()
        {
            if (!HoldsKey) return;
            fixed (byte* zero = s_zeroKey)
                EVP_CipherInit_ex(Handle, 0, 0, zero, null, KeepDirection);
            CryptographicOperations.ZeroMemory(_loadedKey);
            HoldsKey = false;
        }

        public void Free() => EVP_CIPHER_CTX_free(Handle);
    }

    /// <summary>RFC 8439 section 2.8.2, sealed and opened, and a forged tag refused: a library that fails is not used.</summary>
    private static bool SelfTestPasses()
    {
        try
        {
            var key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
            var nonce = Convert.FromHexString("070000004041424344454647");
            var ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
            var plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();
            var expectedTag = Convert.FromHexString("1ae10b594f09e26a7e902ecbd0600691");
            var box = new byte[plaintext.Length + ChaChaPoly.TagSize];
            Seal(key, nonce, plaintext, ad, box);
            if (!box.AsSpan(plaintext.Length).SequenceEqual(expectedTag)) return false;
            var opened = new byte[plaintext.Length];
            if (!Open(key, nonce, box, ad, opened) || !opened.AsSpan().SequenceEqual(plaintext)) return false;
            box[0] ^= 1;
            return !Open(key, nonce, box, ad, opened);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
