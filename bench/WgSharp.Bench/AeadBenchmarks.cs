using BenchmarkDotNet.Attributes;
using WgSharp.Crypto;

namespace WgSharp.Bench;

/// <summary>
/// The transport AEAD alone, to choose the implementation: libsodium one-shot (ChaChaPoly, what
/// Keypair uses) against the BCL ChaCha20Poly1305 over OpenSSL (TransportCipher, a keyed instance).
/// Compare with the ceiling of `openssl speed -evp chacha20-poly1305` (see bench/README.md).
/// </summary>
[MemoryDiagnoser]
public class AeadBenchmarks
{
    [Params(64, 1420)]
    public int Size { get; set; }

    private readonly byte[] _key = GC.AllocateArray<byte>(ChaChaPoly.KeySize, pinned: true);
    private byte[] _plain = null!;
    private byte[] _sealed = null!;
    private TransportCipher _bcl = null!;
    private ulong _counter;

    [GlobalSetup]
    public void Setup()
    {
        new Random(3).NextBytes(_key);
        _plain = new byte[Size];
        _sealed = new byte[Size + ChaChaPoly.TagSize];
        _bcl = new TransportCipher(_key);
    }

    [GlobalCleanup]
    public void Cleanup() => _bcl.Dispose();

    [Benchmark(Baseline = true, Description = "libsodium seal")]
    public void SodiumSeal() => ChaChaPoly.Seal(_key, _counter++, _plain, ReadOnlySpan<byte>.Empty, _sealed);

    [Benchmark(Description = "BCL/OpenSSL seal")]
    public void BclSeal() => _bcl.Seal(_counter++, _plain, _sealed);
}
