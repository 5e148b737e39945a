using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Reads a configuration file that root will act on (hostname.IF: its `!cmd` lines run as root, its `wgkey` becomes the
/// interface's key) only if nobody but root could have written it: opened with O_NOFOLLOW (a symlink is refused, not
/// followed), then checked on the open descriptor with statx (no window between check and read): a regular file owned
/// by root, writable by neither group nor others. A file others may read holds a key in the open: it is read, and
/// its mode fixed (others lose every bit, as OpenBSD's netstart does with chmod o-rwx) with a warning.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class TrustedConfigFile
{
    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000; // same on x86-64 and arm64
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int UidOffset = 20, ModeOffset = 28, SizeOffset = 40; // struct statx: one layout on every architecture
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000;
    private const int GroupWrite = 0x10, OthersWrite = 0x2, OthersAll = 0x7;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string pathname, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int Fchmod(int fd, uint mode);

    /// <summary>
    /// The file's text, or an <see cref="UntrustedFileException"/> saying in one line why it is refused (an
    /// <see cref="IOException"/> when it cannot be read at all). <paramref name="warn"/> hears about a mode it fixed.
    /// </summary>
    public static string ReadAllText(string path, long maxBytes, Action<string>? warn)
    {
        // O_NONBLOCK: a FIFO planted under the name must not block the boot; it is refused below as not a regular file.
        int fd = Open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ELOOP) throw new UntrustedFileException($"{path}: refused: a symbolic link");
            if (errno == 2) throw new FileNotFoundException($"{path}: No such file or directory", path);
            throw new IOException($"{path}: {Errno.Describe(errno)}");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> stat = stackalloc byte[256];
        if (Statx(fd, "", AtEmptyPath, StatxBasicStats, stat) != 0)
            throw new IOException($"{path}: cannot check its owner and mode: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        uint owner = BitConverter.ToUInt32(stat[UidOffset..]);
        int mode = BitConverter.ToUInt16(stat[ModeOffset..]);
        long size = (long)BitConverter.ToUInt64(stat[SizeOffset..]);
        int permissions = mode & 0xFFF;
        if ((mode & FileTypeMask) != RegularFile) throw new UntrustedFileException($"{path}: refused: not a regular file");
        if (owner != 0) throw new UntrustedFileException($"{path}: refused: owned by uid {owner.ToString(CultureInfo.InvariantCulture)}, not root");
        if ((permissions & (GroupWrite | OthersWrite)) != 0)
            throw new UntrustedFileException($"{path}: refused: writable by group or others (mode {Octal(permissions)})");
        if (size > maxBytes) throw new IOException($"{path}: file too large");
        if ((permissions & OthersAll) != 0)
        {
            int fixedMode = permissions & ~OthersAll;
            string outcome = Fchmod(fd, (uint)fixedMode) == 0 ? $"mode fixed to {Octal(fixedMode)}" : "cannot fix its mode";
            warn?.Invoke($"WARNING: {path} is readable by others: {outcome}");
        }
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var bytes = new byte[(int)Math.Min(size, maxBytes) + 1];
        int length = 0;
        while (length < bytes.Length)
        {
            int read = stream.Read(bytes, length, bytes.Length - length);
            if (read == 0) break;
            length += read;
        }
        if (length > maxBytes) throw new IOException($"{path}: file too large"); // grew after the check
        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    private static string Octal(int permissions) => "0" + Convert.ToString(permissions, 8).PadLeft(3, '0');
}

/// <summary>A configuration file refused because someone other than root could have written it; the message is one line.</summary>
internal sealed class UntrustedFileException(string message) : IOException(message);
