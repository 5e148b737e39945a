using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// The bytes a client sent during its handshake, read as they come: parsers look at <see cref="Unread"/> and
/// <see cref="Consume"/> what they took; what is left after the handshake is the start of the client's data.
/// </summary>
internal sealed class HandshakeBuffer(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _start, _end;

    /// <summary>Bytes received and not yet consumed.</summary>
    public ReadOnlySpan<byte> Unread => _buffer.AsSpan(_start, _end - _start);

    /// <summary>The same, as memory (to pass on to the tunnel after the handshake).</summary>
    public ReadOnlyMemory<byte> UnreadMemory => _buffer.AsMemory(_start, _end - _start);

    /// <summary>True when the buffer holds <c>capacity</c> unconsumed bytes: the message is too large.</summary>
    public bool IsFull => _end - _start == _buffer.Length;

    public void Consume(int count) => _start += count;

    /// <summary>Reads more from <paramref name="client"/>; false at the end of its data (or when full).</summary>
    public async ValueTask<bool> FillAsync(Socket client, CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) return false;
        int n = await client.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }
}
