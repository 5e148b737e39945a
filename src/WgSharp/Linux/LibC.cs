using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace WgSharp.Linux;

/// <summary>
/// The few libc calls the Linux I/O layer needs that .NET does not expose. Every import sets the
/// last error so callers can read errno right after a -1 result.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class LibC
{
    private const string Lib = "libc";

    // open(2) flags (x86-64 and arm64 agree on these).
    public const int O_RDONLY = 0x0;
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // fcntl(2)
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    // poll(2)
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    // eventfd(2)
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // setns(2)
    public const int CLONE_NEWNET = 0x40000000;

    // socket(2)
    public const int AF_INET = 2;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_MARK = 36;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;


    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (64-bit layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr header (64-bit layout); data follows at offset 16.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;

    [LibraryImport(Lib, EntryPoint = "readv", SetLastError = true)]
    public static unsafe partial nint ReadV(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static unsafe partial nint WriteV(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    public static unsafe partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "sendmmsg", SetLastError = true)]
    public static unsafe partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, EntryPoint = "fstatfs", SetLastError = true)]
    private static unsafe partial int FStatFs(int fd, byte* buffer);

    private const long NSFS_MAGIC = 0x6e736673;

    /// <summary>True when the file is on nsfs (a namespace), not an ordinary (e.g. empty mount-point) file.</summary>
    public static unsafe bool IsNamespaceFile(int fd)
    {
        byte* buffer = stackalloc byte[256]; // struct statfs is 120 bytes on 64-bit; f_type (a long) comes first
        return FStatFs(fd, buffer) == 0 && *(long*)buffer == NSFS_MAGIC;
    }

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint argument);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    /// <summary>errno of the last failed call on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Throws a <see cref="LinuxIoException"/> carrying errno when <paramref name="result"/> is negative.</summary>
    public static int Check(int result, string operation)
    {
        if (result < 0)
            throw new LinuxIoException(operation, Errno);
        return result;
    }

}
