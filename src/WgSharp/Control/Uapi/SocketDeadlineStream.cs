using System.Diagnostics;
using System.Net.Sockets;

namespace WgSharp.Control.Uapi;

/// <summary>
/// A blocking stream over a connected socket whose reads and writes can be held to a deadline: each call gets
/// the time left as its socket timeout, so a client that trickles bytes cannot stretch a request past it.
/// Without a deadline a read waits as long as the client stays connected (shutting the socket down ends it).
/// </summary>
internal sealed class SocketDeadlineStream(Socket socket) : Stream
{
    private readonly NetworkStream _inner = new(socket, ownsSocket: false);
    private long _deadline; // Stopwatch timestamp; 0 = none

    /// <summary>Reads and writes from now on must finish within <paramref name="timeout"/>.</summary>
    public void SetDeadline(TimeSpan timeout) => _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    public void ClearDeadline()
    {
        _deadline = 0;
        socket.ReceiveTimeout = 0;
        socket.SendTimeout = 0;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_deadline != 0) socket.ReceiveTimeout = MillisecondsLeft();
        return _inner.Read(buffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_deadline != 0) socket.SendTimeout = MillisecondsLeft();
        _inner.Write(buffer);
    }

    /// <summary>At least 1 (0 would mean no timeout at all); past the deadline the caller gets a timeout at once.</summary>
    private int MillisecondsLeft()
    {
        long left = _deadline - Stopwatch.GetTimestamp();
        if (left <= 0) throw new IOException("the request took too long", new SocketException((int)SocketError.TimedOut));
        return (int)Math.Clamp(left * 1000 / Stopwatch.Frequency, 1, int.MaxValue);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
