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

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    public const int O_RDWR = 2;
    private const int F_SETFD = 2;
    private const int FD_CLOEXEC = 1;

    /// <summary>
    /// Marks every inherited descriptor above stderr close-on-exec, so the detached daemon does
    /// not keep a caller's pipes open (a shell or test waiting for end-of-file would hang).
    /// </summary>
    public static void MarkInheritedDescriptorsCloseOnExec()
    {
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
                if (int.TryParse(Path.GetFileName(entry), out int fd) && fd > 2)
                    fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Points stdin and stdout at /dev/null, and with them every other descriptor that refers to
    /// the same files: the .NET runtime keeps private duplicates of the standard descriptors, and
    /// one of those would otherwise keep the caller's pipe open.
    /// </summary>
    public static void DetachStdinStdout()
    {
        int devNull = open("/dev/null", O_RDWR);
        if (devNull < 0) return;
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (int std in new[] { 0, 1 })
            if (LinkOf(std) is { } t && t != "/dev/null") targets.Add(t);
        try
        {
            foreach (var entry in Directory.GetFileSystemEntries("/proc/self/fd"))
                if (int.TryParse(Path.GetFileName(entry), out int fd) && fd != devNull && fd != 2 &&
                    LinkOf(fd) is { } target && targets.Contains(target))
                    dup2(devNull, fd);
        }
        catch (IOException) { }
        dup2(devNull, 0);
        dup2(devNull, 1);
        if (devNull > 2) close(devNull);
    }

    private static string? LinkOf(int fd)
    {
        try { return new FileInfo($"/proc/self/fd/{fd}").LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

}
