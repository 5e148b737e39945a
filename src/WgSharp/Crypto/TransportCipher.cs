using System.Security.Cryptography;

namespace WgSharp.Crypto;

/// <summary>
/// A ChaCha20-Poly1305 key bound once per transport keypair. Backed by the BCL's
/// <see cref="ChaCha20Poly1305"/> (OpenSSL on Linux), which keeps its cipher context per
/// instance: sealing a packet allocates nothing. Thread-safe for concurrent use is NOT
/// promised by the BCL, so the pipeline keeps one instance per worker (see Clone()).
/// </summary>
public sealed class TransportCipher : IDisposable
{
    private readonly ChaCha20Poly1305 _aead;
    private readonly byte[] _key;

    public TransportCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != ChaChaPoly.KeySize) throw new ArgumentException("key must be 32 bytes");
        _key = key.ToArray();
        _aead = new ChaCha20Poly1305(_key);
    }

    /// <summary>A second instance with the same key, for another worker thread.</summary>
    public TransportCipher Clone() => new(_key);

    /// <summary>Seals plaintext into destination as ciphertext||tag (no associated data, as WireGuard uses none).</summary>
    public void Seal(ulong counter, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[ChaChaPoly.NonceSize];
        ChaChaPoly.WriteNonce(nonce, counter);
        _aead.Encrypt(nonce, plaintext, destination[..plaintext.Length],
            destination.Slice(plaintext.Length, ChaChaPoly.TagSize));
    }

    /// <summary>Opens ciphertext||tag; false when the tag does not verify.</summary>
    public bool Open(ulong counter, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination)
    {
        if (ciphertextAndTag.Length < ChaChaPoly.TagSize) return false;
        int len = ciphertextAndTag.Length - ChaChaPoly.TagSize;
        Span<byte> nonce = stackalloc byte[ChaChaPoly.NonceSize];
        ChaChaPoly.WriteNonce(nonce, counter);
        try
        {
            _aead.Decrypt(nonce, ciphertextAndTag[..len], ciphertextAndTag[len..], destination[..len]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _aead.Dispose();
    }
}
