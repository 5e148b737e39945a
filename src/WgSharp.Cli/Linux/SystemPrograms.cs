using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace WgSharp.Linux;

/// <summary>
/// The system programs the daemon runs as root (ip, nsenter, stat), found by absolute path in the system directories
/// and checked, never through PATH: a daemon started with a PATH that names a user's directory first must not run
/// that user's `ip`. A program qualifies when it is a regular file owned by root and writable by nobody else.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class SystemPrograms
{
    /// <summary>Where system programs live, in the order looked at (merged-/usr systems link the short ones).</summary>
    public static readonly string[] SystemDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    private static readonly ConcurrentDictionary<string, string> s_found = new(StringComparer.Ordinal);

    /// <summary>The checked absolute path of <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No trustworthy copy in the system directories.</exception>
    public static string Path(string name) =>
        s_found.TryGetValue(name, out var path) ? path : s_found.GetOrAdd(name, Find(name, SystemDirectories));

    /// <summary>The first trustworthy copy of <paramref name="name"/> in <paramref name="directories"/>.</summary>
    internal static string Find(string name, IEnumerable<string> directories)
    {
        if (name.Length == 0 || name.Contains('/')) throw new ArgumentException($"'{name}' is not a program name", nameof(name));
        foreach (var directory in directories)
        {
            var candidate = System.IO.Path.Combine(directory, name);
            if (IsTrusted(candidate, out _)) return candidate;
        }
        throw new FileNotFoundException(
            $"{name}: not found as a root-owned program, writable only by root, in {string.Join(", ", directories)}", name);
    }

    /// <summary>Whether <paramref name="path"/> (links followed) is a regular file owned by root, not writable by group or others.</summary>
    internal static bool IsTrusted(string path, out string why)
    {
        Span<byte> buffer = stackalloc byte[256]; // struct statx: the same layout on every architecture
        if (StatX(AtFdCwd, path, 0, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            why = "missing";
            return false;
        }
        uint uid = BitConverter.ToUInt32(buffer[20..]);
        ushort mode = BitConverter.ToUInt16(buffer[28..]);
        if ((mode & 0xF000) != 0x8000) { why = "not a regular file"; return false; }
        if (uid != 0) { why = "not owned by root"; return false; }
        if ((mode & 0x12) != 0) { why = "writable by group or others"; return false; }
        why = "";
        return true;
    }

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int directoryFd, string path, int flags, uint mask, ref byte buffer);
}
