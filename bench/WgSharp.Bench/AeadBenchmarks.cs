using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using WgSharp.Crypto;

namespace WgSharp.Bench;

/// <summary>
/// The transport AEAD alone, to choose the implementation: OpenSSL's libcrypto called directly with a
/// context per thread (OpenSslChaChaPoly, the default), libsodium's one-shot calls (SodiumChaChaPoly, the
/// fallback) and the BCL's ChaCha20Poly1305 (OpenSSL behind a wrapper that sets the cipher up per call,
/// and throws on a bad tag). Seal, seal+open, and rejecting a forged packet (an attacker picks how many).
/// Compare with the ceiling of `openssl speed -evp chacha20-poly1305 -bytes 1420`.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class AeadBenchmarks
{
    [Params(64, 576, 1420)]
    public int Size { get; set; }

    private readonly byte[] _key = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);
    private readonly byte[] _nonce = new byte[ChaChaPoly.NonceSize];
    private byte[] _plain = null!;
    private byte[] _sealed = null!;
    private byte[] _forged = null!;
    private byte[] _opened = null!;
    private ChaCha20Poly1305 _bcl = null!;

    [GlobalSetup]
    public void Setup()
    {
        if (!OpenSslChaChaPoly.IsAvailable) throw new InvalidOperationException("libcrypto is not usable here");
        new Random(3).NextBytes(_key);
        _plain = new byte[Size];
        new Random(2).NextBytes(_plain);
        _sealed = new byte[Size + ChaChaPoly.TagSize];
        _opened = new byte[Size];
        _bcl = new ChaCha20Poly1305(_key);
        _forged = new byte[Size + ChaChaPoly.TagSize];
        SodiumChaChaPoly.Seal(_key, _nonce, _plain, default, _forged);
        _forged[0] ^= 1;
    }

    [GlobalCleanup]
    public void Cleanup() => _bcl.Dispose();

    [Benchmark(Baseline = true, Description = "OpenSSL direct seal")]
    public void OpenSslSeal() => OpenSslChaChaPoly.Seal(_key, _nonce, _plain, default, _sealed);

    [Benchmark(Description = "libsodium seal")]
    public void SodiumSeal() => SodiumChaChaPoly.Seal(_key, _nonce, _plain, default, _sealed);

    [Benchmark(Description = "BCL seal")]
    public void BclSeal() => _bcl.Encrypt(_nonce, _plain, _sealed.AsSpan(0, Size), _sealed.AsSpan(Size));

    [Benchmark(Description = "OpenSSL direct seal+open")]
    public bool OpenSslSealOpen()
    {
        OpenSslSeal();
        return OpenSslChaChaPoly.Open(_key, _nonce, _sealed, default, _opened);
    }

    /// <summary>Packets per element in the device's bulk path (a 64 KiB TCP super-packet at MTU 1420).</summary>
    private const int ElementPackets = 44;

    [Benchmark(Description = "OpenSSL direct seal+open, 44 per element", OperationsPerInvoke = ElementPackets)]
    public bool OpenSslSealOpenElement()
    {
        bool ok = true;
        for (int i = 0; i < ElementPackets; i++) ok &= OpenSslSealOpen();
        return ok;
    }

    [Benchmark(Description = "OpenSSL direct seal+open, 44 per element in a batch scope", OperationsPerInvoke = ElementPackets)]
    public bool OpenSslSealOpenElementInBatchScope()
    {
        // As the device's elements call it: the key stays loaded between packets, scrubbed when the scope ends.
        using var keys = OpenSslChaChaPoly.KeepKeysForBatch();
        return OpenSslSealOpenElement();
    }

    [Benchmark(Description = "libsodium seal+open")]
    public bool SodiumSealOpen()
    {
        SodiumSeal();
        return SodiumChaChaPoly.Open(_key, _nonce, _sealed, default, _opened);
    }

    [Benchmark(Description = "BCL seal+open")]
    public bool BclSealOpen()
    {
        BclSeal();
        return BclOpen(_sealed);
    }

    [Benchmark(Description = "OpenSSL direct reject forged")]
    public bool OpenSslRejectForged() => OpenSslChaChaPoly.Open(_key, _nonce, _forged, default, _opened);

    [Benchmark(Description = "libsodium reject forged")]
    public bool SodiumRejectForged() => SodiumChaChaPoly.Open(_key, _nonce, _forged, default, _opened);

    [Benchmark(Description = "BCL reject forged")]
    public bool BclRejectForged() => BclOpen(_forged);

    private bool BclOpen(byte[] box)
    {
        try
        {
            _bcl.Decrypt(_nonce, box.AsSpan(0, Size), box.AsSpan(Size), _opened);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
