using System.Buffers.Binary;
using WgSharp.Crypto;
using WgSharp.Device.IO;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// Initial sequence numbers per RFC 6528: a keyed BLAKE2s of the 4-tuple under a random secret, plus a clock ticking every
/// 4 µs (here: 250 per ms), so ISNs of one 4-tuple move forward and other tuples' ISNs cannot be guessed.
/// </summary>
internal sealed class IsnGenerator
{
    private readonly byte[] _key = new byte[32];

    public IsnGenerator() => SecureRandom.Fill(_key);

    public uint Next(in UdpEndpoint local, in UdpEndpoint remote, long nowMs)
    {
        Span<byte> input = stackalloc byte[36];
        local.AddressSpan.CopyTo(input);
        remote.AddressSpan.CopyTo(input[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(input[32..], local.Port);
        BinaryPrimitives.WriteUInt16BigEndian(input[34..], remote.Port);
        Span<byte> hash = stackalloc byte[8];
        Blake2s.Hash(hash, input, _key);
        return BinaryPrimitives.ReadUInt32LittleEndian(hash) + (uint)(nowMs * 250);
    }

    /// <summary>A per-connection timestamp offset (RFC 7323 5.4: TSval should not reveal the clock), from the same secret.</summary>
    public uint TimestampOffset(in UdpEndpoint local, in UdpEndpoint remote)
    {
        Span<byte> input = stackalloc byte[37];
        local.AddressSpan.CopyTo(input);
        remote.AddressSpan.CopyTo(input[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(input[32..], local.Port);
        BinaryPrimitives.WriteUInt16BigEndian(input[34..], remote.Port);
        input[36] = 0x54;
        Span<byte> hash = stackalloc byte[4];
        Blake2s.Hash(hash, input, _key);
        return BinaryPrimitives.ReadUInt32LittleEndian(hash);
    }
}
