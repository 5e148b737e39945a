using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Narrows the capabilities of every thread of this process in place, without a second exec. Linux keeps the
/// bounding, effective, permitted and ambient sets and no_new_privs per thread, and a thread can change only its own,
/// so each thread must make the calls itself: as libcap's psx does, a signal is sent to every thread (tgkill) whose
/// handler makes them. The handler must be safe in any thread at any instant (the runtime's own threads run no managed
/// code we could call): it is a few hundred bytes of x86-64 that make raw syscalls and touch nothing but one counter, so no
/// libc state, no errno, no allocation. Threads started later inherit the sets of the thread that starts them; the
/// task list is read again until it holds no thread left unnarrowed, so one started by a not yet narrowed thread is
/// caught too. Success is read back from /proc/self/task/TID/status, not assumed.
/// Off x86-64, or when the handler cannot be installed, <see cref="TryNarrow"/> says why and the caller re-executes.
/// </summary>
[SupportedOSPlatform("linux")]
internal static unsafe partial class CapabilityBroadcast
{
    private const int SysPrctl = 157, SysCapset = 126;
    private const int PrCapbsetDrop = 24, PrSetNoNewPrivs = 38, PrCapAmbient = 47, PrCapAmbientClearAll = 4;
    private const uint LinuxCapabilityVersion3 = 0x20080522;
    private const int CounterOffset = 64;
    private const int SaRestart = 0x10000000;
    private static readonly nint SigIgn = 1;

    /// <summary>How long every thread gets to run the handler (a thread blocking the signal never does).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Leaves every thread with bounding, permitted and effective sets within <paramref name="kept"/>, no ambient
    /// capability and no_new_privs. Null on success, else why not (some threads may then be narrowed already: harmless,
    /// the fallback re-execution narrows the rest).
    /// </summary>
    public static string? TryNarrow(ulong kept, ulong bounding, ulong permitted)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return "no in-place capability drop on " + RuntimeInformation.ProcessArchitecture;
        int signal = FreeRealtimeSignal();
        if (signal < 0) return "no free real-time signal to narrow the threads' capabilities";

        // Both stay allocated for the life of the process: a signal still pending on some thread must find them.
        byte* data = (byte*)NativeMemory.AllocZeroed(128);
        *(uint*)data = LinuxCapabilityVersion3; // pid (data + 4) 0: this thread
        ulong keptPermitted = permitted & kept;
        var sets = (uint*)(data + 8); // two { effective, permitted, inheritable } halves: bits 0-31, then 32-63
        sets[0] = (uint)keptPermitted; sets[1] = (uint)keptPermitted; sets[2] = 0;
        sets[3] = (uint)(keptPermitted >> 32); sets[4] = (uint)(keptPermitted >> 32); sets[5] = 0;
        var code = HandlerCode((ulong)data, bounding & ~kept);
        nint handler = MapExecutable(code);
        if (handler == 0) return $"cannot map the capability handler: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
        if (!SetHandler(signal, handler, SaRestart)) return "cannot install the capability handler";
        try
        {
            return NarrowEveryThread(signal, kept);
        }
        finally
        {
            // Ignored, not default: an instance still pending would otherwise end the process.
            SetHandler(signal, SigIgn, 0);
        }
    }

    private static string? NarrowEveryThread(int signal, ulong kept)
    {
        int pid = Environment.ProcessId;
        var signalled = new HashSet<int>();
        var clock = Stopwatch.StartNew();
        HashSet<int>? previous = null;
        while (true)
        {
            var tasks = Tasks();
            bool allNarrowed = true;
            foreach (int tid in tasks)
            {
                if (IsNarrowed(tid, kept) != false) continue; // narrowed, or ended
                allNarrowed = false;
                if (signalled.Add(tid) && Tgkill(pid, tid, signal) != 0 && Marshal.GetLastPInvokeError() != 3 /* ESRCH: it ended */)
                    return $"cannot signal thread {tid}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            }
            // Done when a whole listing was narrowed and a second one shows no thread the first missed: a thread
            // started since by an already narrowed thread inherited the narrowed sets.
            if (allNarrowed && previous is not null && previous.IsSupersetOf(tasks)) return null;
            previous = allNarrowed ? tasks : null;
            if (clock.Elapsed > Patience) return "some thread did not narrow its capabilities in time";
            if (!allNarrowed) Thread.Sleep(1);
        }
    }

    private static HashSet<int> Tasks()
    {
        var tasks = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc/self/task"))
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int tid)) tasks.Add(tid);
        return tasks;
    }

    /// <summary>Whether thread TID's sets are narrowed; null when it has ended.</summary>
    private static bool? IsNarrowed(int tid, ulong kept)
    {
        string path = $"/proc/self/task/{tid}/status";
        try
        {
            return (CapabilityDrop.Read("CapBnd", path) & ~kept) == 0 && (CapabilityDrop.Read("CapPrm", path) & ~kept) == 0 &&
                CapabilityDrop.Read("CapAmb", path) == 0 && CapabilityDrop.Read("NoNewPrivs", path) == 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The signal handler, void handler(int): raw syscalls only, in the order the kernel allows them: the bounding
    /// drops need CAP_SETPCAP, which capset then removes. Uses only registers the C calling convention lets a
    /// function clobber (syscall itself clobbers rax, rcx, r11).
    /// </summary>
    private static byte[] HandlerCode(ulong data, ulong dropFromBounding)
    {
        var code = new List<byte>(256);
        code.AddRange([0x49, 0xB9]); code.AddRange(BitConverter.GetBytes(data)); // movabs r9, data
        code.AddRange([0x31, 0xD2, 0x45, 0x31, 0xD2, 0x45, 0x31, 0xC0]);         // xor edx,edx; xor r10d,r10d; xor r8d,r8d: prctl's unused arguments must be 0
        for (int cap = 0; cap < 64; cap++)
            if ((dropFromBounding & (1UL << cap)) != 0) Syscall(code, SysPrctl, PrCapbsetDrop, cap);
        MoveEax(code, SysCapset);
        code.AddRange([0x49, 0x8D, 0x39]);                                         // lea rdi, [r9]: the header
        code.AddRange([0x49, 0x8D, 0x71, 0x08]);                                   // lea rsi, [r9+8]: the sets
        code.AddRange([0x0F, 0x05]);                                               // syscall
        Syscall(code, SysPrctl, PrCapAmbient, PrCapAmbientClearAll);
        Syscall(code, SysPrctl, PrSetNoNewPrivs, 1);
        code.AddRange([0xF0, 0x41, 0xFF, 0x41, CounterOffset]);                    // lock inc dword [r9+64]: how many ran it (for a debugger)
        code.Add(0xC3);                                                            // ret
        return [.. code];
    }

    private static void Syscall(List<byte> code, int number, int first, int second)
    {
        MoveEax(code, number);
        code.Add(0xBF); code.AddRange(BitConverter.GetBytes(first));  // mov edi, imm32
        code.Add(0xBE); code.AddRange(BitConverter.GetBytes(second)); // mov esi, imm32
        code.AddRange([0x0F, 0x05]);                                  // syscall
    }

    private static void MoveEax(List<byte> code, int value)
    {
        code.Add(0xB8); code.AddRange(BitConverter.GetBytes(value)); // mov eax, imm32
    }

    /// <summary>A page holding <paramref name="code"/>, written while writable, then made read+execute (never both).</summary>
    private static nint MapExecutable(byte[] code)
    {
        const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivateAnonymous = 0x22;
        nuint size = (nuint)Environment.SystemPageSize;
        void* page = MMap(null, size, ProtRead | ProtWrite, MapPrivateAnonymous, -1, 0);
        if (page == (void*)-1) return 0;
        code.CopyTo(new Span<byte>(page, code.Length));
        if (MProtect(page, size, ProtRead | ProtExec) != 0) return 0;
        return (nint)page;
    }

    /// <summary>The highest real-time signal nobody handles (the runtime uses some of the lowest).</summary>
    private static int FreeRealtimeSignal()
    {
        for (int signal = 64; signal > 48; signal--)
            if (QueryHandler(signal) == 0) return signal;
        return -1;
    }

    // glibc's struct sigaction on x86-64: handler (8), mask (128), flags (int, padded to 8), restorer (8).
    private const int SigactionSize = 152, SigactionFlagsOffset = 136;

    private static nint QueryHandler(int signal)
    {
        byte* old = stackalloc byte[SigactionSize];
        return Sigaction(signal, null, old) == 0 ? *(nint*)old : -1;
    }

    private static bool SetHandler(int signal, nint handler, int flags)
    {
        byte* action = stackalloc byte[SigactionSize];
        new Span<byte>(action, SigactionSize).Clear(); // an empty mask: nothing blocked while it runs
        *(nint*)action = handler;
        *(int*)(action + SigactionFlagsOffset) = flags;
        return Sigaction(signal, action, null) == 0;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int Sigaction(int signal, byte* action, byte* old);

    [LibraryImport("libc", EntryPoint = "tgkill", SetLastError = true)]
    private static partial int Tgkill(int pid, int tid, int signal);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int MProtect(void* address, nuint length, int protection);
}
