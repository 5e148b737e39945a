using System.Runtime.Versioning;
using System.Diagnostics;
using WgSharp.Linux;

namespace WgSharp.Control.Uapi;

/// <summary>
/// A blocking stream over a connected socket whose reads and writes can be held to a deadline: each call gets
/// the time left as its socket timeout, so a client that trickles bytes cannot stretch a request past it.
/// Without a deadline a read waits as long as the client stays connected (shutting the socket down ends it).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SocketDeadlineStream(UnixStreamSocket socket) : Stream
{
    private long _deadline; // Stopwatch timestamp; 0 = none

    /// <summary>Reads and writes from now on must finish within <paramref name="timeout"/>.</summary>
    public void SetDeadline(TimeSpan timeout) => _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    public void ClearDeadline()
    {
        if (_deadline == 0) return;
        _deadline = 0;
        socket.SetTimeouts(TimeSpan.Zero, TimeSpan.Zero);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_deadline != 0) { var left = TimeLeft(); socket.SetTimeouts(left, left); }
        return socket.Receive(buffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_deadline != 0) { var left = TimeLeft(); socket.SetTimeouts(left, left); }
        socket.Send(buffer);
    }

    /// <summary>At least a millisecond (zero would mean no timeout at all); past the deadline the caller gets a timeout at once.</summary>
    private TimeSpan TimeLeft()
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _deadline);
        if (left <= TimeSpan.Zero) throw new LinuxIoException("the request took too long; recv", Errno.EAGAIN);
        return left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left;
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
}
