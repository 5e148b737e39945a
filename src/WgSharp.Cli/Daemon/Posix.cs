using System.Runtime.InteropServices;

namespace WgSharp.Cli.Daemon;

/// <summary>The few libc calls daemonizing needs.</summary>
internal static partial class Posix
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public const int O_RDWR = 2;

    /// <summary>Points stdin, stdout and stderr at /dev/null (the detached daemon has no terminal).</summary>
    public static void DetachStdio()
    {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0) return;
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) close(fd);
    }
}
