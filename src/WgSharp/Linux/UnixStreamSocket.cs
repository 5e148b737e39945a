using System.Runtime.Versioning;
using System.Text;

namespace WgSharp.Linux;

/// <summary>
/// A Unix stream socket on a plain descriptor with blocking calls: listen, poll, accept, connect, receive and send
/// with per-call timeouts. What the control socket needs, without .NET's socket engine (see LibC.UnixSocket).
/// Errors are <see cref="LinuxIoException"/>s carrying errno; a timeout is one with EAGAIN.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UnixStreamSocket : IDisposable
{
    private readonly FileDescriptor _fd;

    private UnixStreamSocket(int fd) => _fd = new FileDescriptor(fd);

    private static int Open(int flags = 0) => LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | flags, 0);

    /// <summary>A listening socket bound at <paramref name="path"/> (the file is created with the caller's umask).</summary>
    public static unsafe UnixStreamSocket Listen(string path, int backlog)
    {
        if (!TryAddressOf(path, out var address, out uint length)) throw new LinuxIoException($"socket path {path}", Errno.EINVAL);
        // Non-blocking: accept only what poll announced, so a client gone meanwhile cannot block the accept.
        var socket = new UnixStreamSocket(LibC.Check(Open(LibC.SOCK_NONBLOCK), "socket"));
        try
        {
            using var lease = socket._fd.Acquire();
            LibC.Check(LibC.Bind(lease.Number, &address, length), "bind");
            LibC.Check(LibC.Listen(lease.Number, backlog), "listen");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to the socket at <paramref name="path"/>; throws with the errno (ENOENT, ECONNREFUSED, EACCES...) when it cannot.</summary>
    public static UnixStreamSocket Connect(string path) =>
        TryConnect(path, out int errno) ?? throw new LinuxIoException("connect", errno);

    /// <summary>
    /// Connects to the socket at <paramref name="path"/>, or returns null with the errno (ENOENT, ECONNREFUSED,
    /// EACCES, EINVAL for a path too long...) when it cannot. For probes, whose usual answer is "nobody there":
    /// every daemon launch probes its socket first, and an exception there would make the runtime's unwinder and
    /// its tables resident for nothing.
    /// </summary>
    public static unsafe UnixStreamSocket? TryConnect(string path, out int errno)
    {
        if (!TryAddressOf(path, out var address, out uint length))
        {
            errno = Errno.EINVAL;
            return null;
        }
        int fd = Open();
        if (fd < 0)
        {
            errno = LibC.Errno;
            return null;
        }
        var socket = new UnixStreamSocket(fd);
        int result;
        using (var lease = socket._fd.Acquire())
        {
            do
            {
                result = LibC.Connect(lease.Number, &address, length);
                errno = result < 0 ? LibC.Errno : 0;
            }
            while (errno == Errno.EINTR);
        }
        if (result == 0) return socket;
        socket.Dispose();
        return null;
    }

    private static unsafe bool TryAddressOf(string path, out LibC.SockAddrUnix address, out uint length)
    {
        address = new LibC.SockAddrUnix { Family = LibC.AF_UNIX };
        length = 0;
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes >= LibC.UnixPathCapacity) return false;
        fixed (byte* destination = address.Path) Encoding.UTF8.GetBytes(path, new Span<byte>(destination, LibC.UnixPathCapacity));
        length = (uint)(sizeof(ushort) + bytes + 1);
        return true;
    }

    /// <summary>True when a read (or accept) would not block within <paramref name="timeout"/>: data, a connection, end of stream or shutdown.</summary>
    public unsafe bool PollReadable(TimeSpan timeout)
    {
        if (!_fd.TryLease()) return true; // closed: let the caller's next call find out
        try
        {
            var pfd = new LibC.PollFd { Fd = _fd.Number, Events = LibC.POLLIN };
            int result = LibC.Poll(&pfd, 1, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
            if (result < 0 && LibC.Errno == Errno.EINTR) return false;
            return LibC.Check(result, "poll") > 0;
        }
        finally { _fd.Unlease(); }
    }

    /// <summary>The next waiting connection (blocking), or null when none is waiting any more.</summary>
    public unsafe UnixStreamSocket? Accept()
    {
        using var lease = _fd.Acquire();
        int fd = LibC.Accept4(lease.Number, null, null, LibC.SOCK_CLOEXEC);
        if (fd >= 0) return new UnixStreamSocket(fd);
        int errno = LibC.Errno;
        if (errno is Errno.EAGAIN or Errno.EINTR or Errno.ECONNABORTED) return null;
        throw new LinuxIoException("accept", errno);
    }

    /// <summary>Bytes received into <paramref name="buffer"/>; 0 at end of stream. Throws EAGAIN when the receive timeout expires.</summary>
    public unsafe int Receive(Span<byte> buffer)
    {
        using var lease = _fd.Acquire();
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = LibC.Recv(lease.Number, p, (nuint)buffer.Length, 0);
                if (n >= 0) return (int)n;
                if (LibC.Errno != Errno.EINTR) throw new LinuxIoException("recv", LibC.Errno);
            }
        }
    }

    /// <summary>Sends all of <paramref name="data"/> (never raising SIGPIPE). Throws EAGAIN when the send timeout expires.</summary>
    public unsafe void Send(ReadOnlySpan<byte> data)
    {
        using var lease = _fd.Acquire();
        fixed (byte* p = data)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                nint n = LibC.Send(lease.Number, p + sent, (nuint)(data.Length - sent), LibC.MSG_NOSIGNAL);
                if (n >= 0) sent += (int)n;
                else if (LibC.Errno != Errno.EINTR) throw new LinuxIoException("send", LibC.Errno);
            }
        }
    }

    /// <summary>Timeouts of later receives and sends; zero waits for ever.</summary>
    public void SetTimeouts(TimeSpan receive, TimeSpan send)
    {
        SetTimeout(LibC.SO_RCVTIMEO, receive);
        SetTimeout(LibC.SO_SNDTIMEO, send);
    }

    private unsafe void SetTimeout(int option, TimeSpan timeout)
    {
        using var lease = _fd.Acquire();
        long micro = (long)Math.Max(0, timeout.TotalMicroseconds);
        var value = new LibC.TimeVal { Seconds = micro / 1_000_000, Microseconds = micro % 1_000_000 };
        LibC.Check(LibC.SetSockOpt(lease.Number, LibC.SOL_SOCKET, option, &value, (uint)sizeof(LibC.TimeVal)), "setsockopt");
    }

    /// <summary>Ends both directions: a thread blocked in receive, accept or poll on this socket wakes up.</summary>
    public void Shutdown()
    {
        if (!_fd.TryLease()) return;
        try { LibC.Shutdown(_fd.Number, LibC.SHUT_RDWR); }
        finally { _fd.Unlease(); }
    }

    public void Dispose() => _fd.Dispose();
}
