using BenchmarkDotNet.Attributes;
using WgSharp.Protocol;
using WgSharp.Tests.Protocol;

namespace WgSharp.Bench;

/// <summary>
/// The real transport path for one packet, as the device runs it: ProtocolPeer.Seal on the sender
/// (counter, padding, ChaCha20-Poly1305) and ProtocolEngine.OpenTransport on the receiver (index
/// lookup, AEAD open, replay window). One operation = one packet, so "Allocated" is bytes per packet.
/// </summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    [Params(64, 576, 1420)]
    public int PacketSize { get; set; }

    private SessionPair _pair = null!;
    private byte[] _packet = null!;
    private byte[] _sealed = null!;
    private byte[] _opened = null!;
    private int _sealedLength;

    [GlobalSetup]
    public void Setup()
    {
        _pair = new SessionPair();
        _pair.Connect();
        _packet = new byte[PacketSize];
        new Random(1).NextBytes(_packet);
        _packet[0] = 0x45;
        _sealed = new byte[MessageLayout.TransportMessageSize(PacketSize + 16)];
        _opened = new byte[_sealed.Length];
        Seal(); // A valid message for the Seal-only baseline's size check
    }

    [Benchmark(Description = "Seal (A->B)")]
    public int Seal()
    {
        var status = _pair.PeerA.Seal(_packet, _sealed, _pair.Now, ProtocolConstants.DefaultMtu, out _sealedLength, out _);
        if (status != SealStatus.Sealed) throw new InvalidOperationException(status.ToString());
        return _sealedLength;
    }

    [Benchmark(Baseline = true, Description = "Seal + OpenTransport")]
    public int SealAndOpen()
    {
        Seal();
        var result = _pair.EngineB.OpenTransport(_sealed.AsSpan(0, _sealedLength), _opened, _pair.Now);
        if (!result.IsOk) throw new InvalidOperationException(result.Reason.ToString());
        return result.PlaintextLength;
    }
}
