using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace WgSharp.Linux;

// Unix stream sockets for the control socket, on plain descriptors: .NET's Socket registers every socket with its
// epoll engine (a thread of its own, and thread-pool work for each event), which an idle daemon should not run.
[SupportedOSPlatform("linux")]
internal static partial class LibC
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SO_RCVTIMEO = 20;
    public const int SO_SNDTIMEO = 21;
    public const int SHUT_RDWR = 2;
    public const int MSG_NOSIGNAL = 0x4000;

    /// <summary>sun_path's size in struct sockaddr_un.</summary>
    public const int UnixPathCapacity = 108;

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct SockAddrUnix
    {
        public ushort Family;
        public fixed byte Path[UnixPathCapacity];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static unsafe partial int Bind(int fd, SockAddrUnix* address, uint length);

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    public static unsafe partial int Connect(int fd, SockAddrUnix* address, uint length);

    [LibraryImport(Lib, EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    public static unsafe partial int Accept4(int fd, void* address, void* length, int flags);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    public static unsafe partial nint Send(int fd, byte* buffer, nuint length, int flags);
}
