using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto.Digests;
using WgSharp.Crypto;
using WgSharp.Keys;

namespace WgSharp.Bench;

/// <summary>
/// The primitives a handshake is made of: X25519, BLAKE2s (32-byte Noise hash input and a
/// 148-byte initiation, the mac1 input length class), HMAC-BLAKE2s KDF, keyed BLAKE2s-128 (mac1),
/// and BouncyCastle's Blake2sDigest as an outside reference for our hand-written BLAKE2s.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class CryptoHandshakeBenchmarks
{
    private byte[] _private = null!;
    private byte[] _peerPublic = null!;
    private readonly byte[] _shared = new byte[32];
    private byte[] _input32 = null!;
    private byte[] _input148 = null!;
    private byte[] _input116 = null!;
    private byte[] _macKey = null!;
    private readonly byte[] _hash = new byte[32];
    private readonly byte[] _mac = new byte[16];
    private readonly byte[] _out1 = new byte[32], _out2 = new byte[32], _out3 = new byte[32];
    private readonly Blake2sDigest _bc = new(256);

    [GlobalSetup]
    public void Setup()
    {
        _private = KeyGenerator.GeneratePrivateKey().ToArray();
        _peerPublic = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToArray();
        var r = new Random(3);
        _input32 = new byte[32]; r.NextBytes(_input32);
        _input148 = new byte[148]; r.NextBytes(_input148);
        _input116 = new byte[116]; r.NextBytes(_input116);
        _macKey = new byte[32]; r.NextBytes(_macKey);
    }

    [Benchmark]
    public bool X25519_SharedSecret() => X25519.SharedSecret(_private, _peerPublic, _shared);

    [Benchmark]
    public void X25519_DerivePublicKey() => X25519.DerivePublicKey(_private, _shared);

    [Benchmark]
    public void Blake2s_32() => Blake2s.Hash(_hash, _input32);

    [Benchmark]
    public void Blake2s_148() => Blake2s.Hash(_hash, _input148);

    [Benchmark]
    public void BouncyCastle_Blake2s_32()
    {
        _bc.BlockUpdate(_input32, 0, _input32.Length);
        _bc.DoFinal(_hash, 0);
    }

    [Benchmark]
    public void BouncyCastle_Blake2s_148()
    {
        _bc.BlockUpdate(_input148, 0, _input148.Length);
        _bc.DoFinal(_hash, 0);
    }

    /// <summary>mac1 = keyed BLAKE2s-128 over the 116 bytes of an initiation before mac1.</summary>
    [Benchmark]
    public void Blake2s128_Keyed_116() => Blake2s.Hash(_mac, _input116, _macKey);

    [Benchmark]
    public void NoiseKdf_Derive3() => NoiseKdf.Derive(_input32, _input32, _out1, _out2, _out3);
}
