namespace WgSharp.Crypto;

/// <summary>
/// A ChaCha20-Poly1305 key bound once per transport keypair, sealing and opening with
/// WireGuard's nonce layout and no associated data. Backed by libsodium's one-shot calls rather
/// than the BCL's ChaCha20Poly1305: measured (docs/crypto.md) it is as fast for full 1420-byte
/// packets, 1.5-2.7x faster for small ones, and rejects a forged packet 6-13x faster because it
/// checks the tag before decrypting and reports failure without an exception. It is stateless,
/// so one instance may be used from several threads at once; Clone() remains for callers that
/// want an instance per worker.
/// </summary>
public sealed class TransportCipher : IDisposable
{
    // Pinned so the GC never leaves stray copies of the key behind when it compacts the heap.
    private readonly byte[] _key = GC.AllocateUninitializedArray<byte>(ChaChaPoly.KeySize, pinned: true);
    private volatile bool _disposed;

    public TransportCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != ChaChaPoly.KeySize) throw new ArgumentException("key must be 32 bytes");
        key.CopyTo(_key);
    }

    /// <summary>A second instance with the same key (for a worker that wants its own).</summary>
    public TransportCipher Clone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new(_key);
    }

    /// <summary>Seals plaintext into destination as ciphertext||tag (no associated data, as WireGuard uses none).</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ChaChaPoly.Seal(_key, counter, plaintext, ReadOnlySpan<byte>.Empty, destination);
    }

    /// <summary>Opens ciphertext||tag; false when the tag does not verify (or the input is shorter than a tag).</summary>
    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ChaChaPoly.Open(_key, counter, ciphertextAndTag, ReadOnlySpan<byte>.Empty, destination);
    }

    public void Dispose()
    {
        _disposed = true;
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_key);
    }
}
