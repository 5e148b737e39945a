using System.Runtime.InteropServices;

namespace WgSharp.Cli.Daemon;

/// <summary>The few libc calls daemonizing needs.</summary>
internal static partial class Posix
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private const int PR_SET_DUMPABLE = 4;

    /// <summary>
    /// Marks the process non-dumpable: no core file on a crash (it would hold the private key), and
    /// /proc/PID/mem and ptrace are closed to everyone without CAP_SYS_PTRACE. False if the kernel refused.
    /// </summary>
    public static bool MakeNonDumpable() => prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sigaction(int signum, byte* act, byte* oldact);

    public const int O_RDWR = 2;
    private const int SIGINT = 2, SIGTERM = 15;
    private static readonly nint SIG_IGN = 1;
    // glibc's struct sigaction (x86-64 and arm64): the handler comes first; 152 bytes in all, rounded up.
    private const int SigactionSize = 256;
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
    /// A daemon started from a script in the background inherits SIGINT ignored (the shell does that to
    /// `cmd &amp;`), and the runtime then never delivers it. wireguard-go handles SIGINT and SIGTERM
    /// whatever it inherited, so we put an ignored one back to the default before registering handlers.
    /// </summary>
    public static unsafe void UnignoreTerminationSignals()
    {
        byte* current = stackalloc byte[SigactionSize];
        byte* defaults = stackalloc byte[SigactionSize];
        new Span<byte>(defaults, SigactionSize).Clear(); // SIG_DFL, empty mask, no flags
        foreach (int signal in new[] { SIGINT, SIGTERM })
            if (sigaction(signal, null, current) == 0 && *(nint*)current == SIG_IGN)
                sigaction(signal, defaults, null);
    }

    /// <summary>
    /// Points stdin and stdout at /dev/null. (The launcher already gave a quiet daemon pipes of its
    /// own rather than the caller's, so no copy the runtime made of them can hold a caller's pipe open.)
    /// </summary>
    public static void DetachStdinStdout()
    {
        int devNull = open("/dev/null", O_RDWR);
        if (devNull < 0) return;
        dup2(devNull, 0);
        dup2(devNull, 1);
        if (devNull > 2) close(devNull);
    }
}
