using System.Buffers;
using WgSharp.Device.IO;

namespace WgSharp.Device;

/// <summary>A handshake message waiting for the handshake worker, in a pooled buffer.</summary>
internal readonly struct HandshakeWork
{
    private HandshakeWork(byte[] buffer, int length, UdpEndpoint from, LocalAddress local)
    {
        Local = local;
        Buffer = buffer;
        Length = length;
        From = from;
    }

    public byte[] Buffer { get; }
    public int Length { get; }
    public UdpEndpoint From { get; }
    /// <summary>The local address the message arrived at: the reply leaves from it.</summary>
    public LocalAddress Local { get; }
    public ReadOnlySpan<byte> Message => Buffer.AsSpan(0, Length);

    public static HandshakeWork Rent(ReadOnlySpan<byte> message, in UdpEndpoint from, in LocalAddress local)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(message.Length);
        message.CopyTo(buffer);
        return new HandshakeWork(buffer, message.Length, from, local);
    }

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
