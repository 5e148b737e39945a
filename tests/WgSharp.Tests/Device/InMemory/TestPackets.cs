using System.Buffers.Binary;
using System.Net;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>TCP-like IPv4 packets whose payload carries a stream number and a sequence number, so order and loss can be checked.</summary>
internal static class TestPackets
{
    public const int HeaderLength = 40; // IPv4 (20) + TCP (20)
    private const int StreamOffset = HeaderLength, SequenceOffset = HeaderLength + 4;

    public static byte[] Tcp(IPAddress source, IPAddress destination, int stream, long sequence, int length)
    {
        var packet = new byte[length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        packet[6] = 0x40; // DF
        packet[8] = 64;
        packet[9] = 6; // TCP
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 5201);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(24), (uint)(sequence * (length - HeaderLength)));
        packet[32] = 5 << 4;
        packet[33] = 0x10; // ACK
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(StreamOffset), stream);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(SequenceOffset), sequence);
        return packet;
    }

    public static int StreamOf(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadInt32BigEndian(packet[StreamOffset..]);
    public static long SequenceOf(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadInt64BigEndian(packet[SequenceOffset..]);
    public static IPAddress SourceOf(ReadOnlySpan<byte> packet) => new(packet.Slice(12, 4));
}
