using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// Memory for secrets and for text that may carry them (UAPI request lines, `get` replies): outside the GC heap,
/// so no collector ever copies it; on Linux its own mapping, locked in RAM (best effort: RLIMIT_MEMLOCK may refuse)
/// so it never reaches swap, and marked MADV_DONTDUMP so no core image holds it. Zeroed when disposed; owners must dispose it (no finalizer may free memory a
/// span still points into, CA2015), so each one is owned by something with a clear end: a connection, a key pair.
/// </summary>
internal sealed unsafe partial class SecretMemory : MemoryManager<byte>
{
    private byte* _pointer;
    private readonly nuint _mappedBytes;
    private readonly bool _mapped;

    /// <summary>Whether the pages are locked in RAM (false when the memlock limit refused, or off Linux).</summary>
    public bool IsLocked { get; }

    /// <summary>Whether the pages are kept out of core dumps (Linux only).</summary>
    public bool IsExcludedFromDumps { get; }

    /// <summary>The usable length in bytes.</summary>
    public int Length { get; }

    public SecretMemory(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        if (OperatingSystem.IsLinux())
        {
            nuint page = (nuint)Environment.SystemPageSize;
            _mappedBytes = ((nuint)length + page - 1) / page * page;
            _pointer = LinuxPages.Map(_mappedBytes);
            _mapped = true;
            IsExcludedFromDumps = LinuxPages.ExcludeFromDumps(_pointer, _mappedBytes);
            IsLocked = LinuxPages.Lock(_pointer, _mappedBytes);
        }
        else
        {
            _pointer = (byte*)NativeMemory.AllocZeroed((nuint)length);
        }
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<byte>(_pointer, Length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        var pointer = _pointer;
        if (pointer is null) return;
        _pointer = null;
        CryptographicOperations.ZeroMemory(new Span<byte>(pointer, Length));
        if (_mapped && OperatingSystem.IsLinux()) LinuxPages.Unmap(pointer, _mappedBytes);
        else NativeMemory.Free(pointer);
    }

    /// <summary>
    /// Keeps the pages under a pinned array that holds a long-lived secret (the device's private key) out of core
    /// dumps and swap, best effort. For arrays readers may still touch after their owner is done with them, where
    /// unmapping (as <see cref="SecretMemory"/> does) could crash a reader. A no-op off Linux.
    /// </summary>
    public static void Protect(byte[] pinned)
    {
        if (!OperatingSystem.IsLinux() || pinned.Length == 0) return;
        nuint page = (nuint)Environment.SystemPageSize;
        fixed (byte* start = pinned)
        {
            nuint first = (nuint)start / page * page;
            nuint end = ((nuint)start + (nuint)pinned.Length + page - 1) / page * page;
            LinuxPages.ExcludeFromDumps((byte*)first, end - first);
            LinuxPages.Lock((byte*)first, end - first);
        }
    }

    /// <summary>
    /// Overwrites the <paramref name="bytes"/> of stack just below the caller's frame: where the frames of what it
    /// called (a KDF, native X25519, a parser) left copies of a secret in dead locals that nothing else zeroes and
    /// that stay in the thread's stack, and in a core image of it, until overwritten. Call it right after such work.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void ScrubStack(int bytes)
    {
        Span<byte> used = stackalloc byte[bytes];
        CryptographicOperations.ZeroMemory(used);
    }

    /// <summary>mmap, madvise and mlock: the calls .NET does not expose.</summary>
    [SupportedOSPlatform("linux")]
    private static partial class LinuxPages
    {
        private const int ProtReadWrite = 0x1 | 0x2;
        private const int MapPrivateAnonymous = 0x02 | 0x20;
        private const int MadvDontDump = 16;

        public static byte* Map(nuint bytes)
        {
            var address = MMap(null, bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (address == (void*)-1) throw new OutOfMemoryException($"mmap of {bytes} bytes for secrets failed (errno {Marshal.GetLastPInvokeError()})");
            return (byte*)address;
        }

        public static bool ExcludeFromDumps(byte* address, nuint bytes) => MAdvise(address, bytes, MadvDontDump) == 0;

        public static bool Lock(byte* address, nuint bytes) => MLock(address, bytes) == 0;

        public static void Unmap(byte* address, nuint bytes)
        {
            MUnlock(address, bytes); // harmless when it was never locked
            MUnmap(address, bytes);
        }

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        private static partial int MUnmap(void* address, nuint length);

        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        private static partial int MAdvise(void* address, nuint length, int advice);

        [LibraryImport("libc", EntryPoint = "mlock", SetLastError = true)]
        private static partial int MLock(void* address, nuint length);

        [LibraryImport("libc", EntryPoint = "munlock", SetLastError = true)]
        private static partial int MUnlock(void* address, nuint length);
    }
}
