using System.Globalization;
using System.Runtime.InteropServices;

namespace WgSharp;

/// <summary>
/// The Linux errno values wgsharp names, in one table, and the one place that turns an errno into text.
/// The UAPI reports these numbers on every platform (as wireguard-go does), so the table is not Linux-only;
/// the system calls that return them are.
/// </summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOTTY = 25;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int ERANGE = 34;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int ENOANO = 55;
    public const int EPROTO = 71;
    public const int EBADFD = 77;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EPROTONOSUPPORT = 93;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ENOBUFS = 105;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EWOULDBLOCK = EAGAIN;

    /// <summary>
    /// What strerror says for <paramref name="errno"/> (its sign ignored). The values the UAPI reports have fixed
    /// texts, so wg's output is the same on every platform; any other value asks the C library on Linux.
    /// </summary>
    public static string Describe(int errno) => Math.Abs(errno) switch
    {
        0 => "Success",
        ENOENT => "No such file or directory",
        EIO => "Input/output error",
        ENOMEM => "Cannot allocate memory",
        EINVAL => "Invalid argument",
        ENOANO => "No anode",
        EPROTO => "Protocol error",
        EADDRINUSE => "Address already in use",
        ENOBUFS => "No buffer space available",
        int other when OperatingSystem.IsLinux() => Marshal.GetPInvokeErrorMessage(other),
        int other => "errno " + other.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The symbolic name of <paramref name="errno"/> ("EPERM"), or "errno N" for one not in the table.</summary>
    public static string Name(int errno) => Math.Abs(errno) switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO", ENXIO => "ENXIO",
        EBADF => "EBADF", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EBUSY => "EBUSY",
        EEXIST => "EEXIST", ENODEV => "ENODEV", ENOTDIR => "ENOTDIR", EINVAL => "EINVAL", ENFILE => "ENFILE",
        EMFILE => "EMFILE", ENOTTY => "ENOTTY", ENOSPC => "ENOSPC", EROFS => "EROFS", ERANGE => "ERANGE",
        ENAMETOOLONG => "ENAMETOOLONG", ENOSYS => "ENOSYS", ELOOP => "ELOOP", ENOANO => "ENOANO", EPROTO => "EPROTO",
        EBADFD => "EBADFD", EMSGSIZE => "EMSGSIZE", ENOPROTOOPT => "ENOPROTOOPT",
        EPROTONOSUPPORT => "EPROTONOSUPPORT", EOPNOTSUPP => "EOPNOTSUPP", EAFNOSUPPORT => "EAFNOSUPPORT",
        EADDRINUSE => "EADDRINUSE", EADDRNOTAVAIL => "EADDRNOTAVAIL", ENETUNREACH => "ENETUNREACH",
        ECONNABORTED => "ECONNABORTED", ENOBUFS => "ENOBUFS", ECONNREFUSED => "ECONNREFUSED",
        EHOSTUNREACH => "EHOSTUNREACH",
        int other => "errno " + other.ToString(CultureInfo.InvariantCulture),
    };
}
