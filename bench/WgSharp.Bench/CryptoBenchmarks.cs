using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WgSharp.Crypto;

namespace WgSharp.Bench;

/// <summary>
/// Transport data cost: one WireGuard packet sealed and opened with the BCL's ChaCha20Poly1305
/// (OpenSSL; a keyed object, exception on a bad tag) against TransportCipher, which calls
/// libsodium's one-shot AEAD. Also the cost of rejecting a forged packet, which an attacker
/// chooses. Sizes: a small packet, the IPv4 minimum MTU, and a full 1420-byte wg payload.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class CryptoBenchmarks
{
    [Params(64, 576, 1420)]
    public int Size;

    private byte[] _key = null!;
    private byte[] _plaintext = null!;
    private byte[] _sealed = null!;
    private byte[] _forged = null!;
    private byte[] _opened = null!;
    private ChaCha20Poly1305 _bcl = null!;
    private TransportCipher _sodium = null!;
    private ulong _counter;

    [GlobalSetup]
    public void Setup()
    {
        _key = new byte[32];
        new Random(1).NextBytes(_key);
        _plaintext = new byte[Size];
        new Random(2).NextBytes(_plaintext);
        _sealed = new byte[Size + ChaChaPoly.TagSize];
        _opened = new byte[Size];
        _bcl = new ChaCha20Poly1305(_key);
        _sodium = new TransportCipher(_key);
        _forged = new byte[Size + ChaChaPoly.TagSize];
        _sodium.Seal(0, _plaintext, _forged);
        _forged[0] ^= 1;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bcl.Dispose();
        _sodium.Dispose();
    }

    // What TransportCipher did when it was backed by the BCL.
    private void BclSeal(ulong counter)
    {
        Span<byte> nonce = stackalloc byte[12];
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
        _bcl.Encrypt(nonce, _plaintext, _sealed.AsSpan(0, Size), _sealed.AsSpan(Size));
    }

    private bool BclOpen(ulong counter, byte[] box)
    {
        Span<byte> nonce = stackalloc byte[12];
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
        try
        {
            _bcl.Decrypt(nonce, box.AsSpan(0, Size), box.AsSpan(Size), _opened);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    [Benchmark(Baseline = true)]
    public bool Bcl_SealOpen()
    {
        ulong n = _counter++;
        BclSeal(n);
        return BclOpen(n, _sealed);
    }

    [Benchmark]
    public bool Sodium_SealOpen()
    {
        ulong n = _counter++;
        _sodium.Seal(n, _plaintext, _sealed);
        return _sodium.Open(n, _sealed, _opened);
    }

    [Benchmark]
    public void Bcl_Seal() => BclSeal(_counter++);

    [Benchmark]
    public void Sodium_Seal() => _sodium.Seal(_counter++, _plaintext, _sealed);

    [Benchmark]
    public bool Bcl_OpenForged() => BclOpen(0, _forged);

    [Benchmark]
    public bool Sodium_OpenForged() => _sodium.Open(0, _forged, _opened);
}
