using BenchmarkDotNet.Attributes;

namespace WgSharp.Bench;

/// <summary>
/// Handshake cost: a full Noise IKpsk2 exchange (initiation created by A, consumed by B which
/// writes the response, consumed by A: 4 X25519 on each side) and the mac1 check every handshake
/// message gets before anything else (the DoS front door, a keyed BLAKE2s over 116 bytes).
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private SessionPair _pair = null!;
    private byte[] _initiation = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pair = new SessionPair();
        _initiation = _pair.NewInitiation();
    }

    [Benchmark(Description = "Full handshake (initiator + responder)")]
    public void FullHandshake() => _pair.Handshake();

    [Benchmark(Description = "mac1 check")]
    public bool Mac1Check()
    {
        if (!_pair.EngineB.Identity.CookieChecker.CheckMac1(_initiation)) throw new InvalidOperationException("mac1");
        return true;
    }
}
