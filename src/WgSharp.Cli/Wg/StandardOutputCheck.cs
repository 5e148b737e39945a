using System.Runtime.InteropServices;

namespace WgSharp.Cli.Wg;

/// <summary>
/// Whether standard output is a regular file others may read (`wg genkey > key` under umask 022),
/// which `genkey` warns about as wg does. Uses statx, whose layout is the same on every architecture.
/// </summary>
internal static partial class StandardOutputCheck
{
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1, StatxMode = 0x2;
    private const int ModeOffset = 28;
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000, OthersAll = 0x7;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, Span<byte> buffer);

    public static bool IsWorldAccessibleFile(int fd = 1)
    {
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (statx(fd, "", AtEmptyPath, StatxType | StatxMode, buffer) != 0) return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // no statx in this libc: skip the advice rather than fail
        }
        int mode = BitConverter.ToUInt16(buffer[ModeOffset..]);
        return (mode & FileTypeMask) == RegularFile && (mode & OthersAll) != 0;
    }
}
