using System.Buffers;

namespace WgSharp.Device;

/// <summary>An outbound packet copied into a pooled buffer while its peer has no session.</summary>
internal readonly struct StagedPacket
{
    private StagedPacket(byte[] buffer, int length)
    {
        Buffer = buffer;
        Length = length;
    }

    public byte[] Buffer { get; }
    public int Length { get; }
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public static StagedPacket Rent(ReadOnlySpan<byte> packet)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.CopyTo(buffer);
        return new StagedPacket(buffer, packet.Length);
    }

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
