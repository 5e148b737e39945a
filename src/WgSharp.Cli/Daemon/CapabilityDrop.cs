using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The daemon keeps only the capabilities it uses, whoever starts it: CAP_NET_ADMIN (the interface, routes, later
/// `wgsharp wg0 ...` changes), CAP_NET_BIND_SERVICE (a listen or metrics port below 1024) and CAP_SYS_ADMIN, which
/// routing domains need (creating and entering network namespaces; a unit without the rdomain drop-in has no
/// CAP_SYS_ADMIN to keep). Linux capabilities belong to each thread, and the runtime has started threads before any
/// managed code runs, so a capset here would leave every other thread privileged. So every thread narrows its own
/// sets (<see cref="CapabilityBroadcast"/>). Where that cannot be done, the start thread shrinks its bounding set and
/// re-executes the same command line (same PID, same descriptors, so systemd's notify socket and the launcher's pipes
/// still work): the new image starts with only the kept capabilities, on every thread. Either way no_new_privs is set
/// so nothing it runs can gain more. The re-execution cost 12 ms of start (NativeAOT, docs/performance.md).
/// </summary>
internal static partial class CapabilityDrop
{
    public const int CapNetBindService = 10, CapNetAdmin = 12, CapSysAdmin = 21, CapSetPcap = 8;
    private const ulong Kept = (1UL << CapNetAdmin) | (1UL << CapNetBindService) | (1UL << CapSysAdmin);
    private const int PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Execve(string path, nint* argv, nint* envp);

    /// <summary>execve with NULL-terminated arrays of UTF-8 strings; returns only on failure.</summary>
    private static unsafe void Execute(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        var args = new nint[argv.Count + 1];
        var env = new nint[envp.Count + 1];
        try
        {
            for (int i = 0; i < argv.Count; i++) args[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            for (int i = 0; i < envp.Count; i++) env[i] = Marshal.StringToCoTaskMemUTF8(envp[i]);
            fixed (nint* a = args, e = env) Execve(path, a, e);
        }
        finally
        {
            foreach (nint p in args) Marshal.FreeCoTaskMem(p);
            foreach (nint p in env) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>The capability sets of this process as /proc/self/status states them (of the calling thread's leader).</summary>
    public static ulong Read(string field, string status = "/proc/self/status")
    {
        foreach (string line in File.ReadLines(status))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return ulong.Parse(line[(field.Length + 1)..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        throw new IOException($"{status}: no {field}");
    }

    /// <summary>
    /// When the bounding set holds more than the kept capabilities and this process may shrink it (CAP_SETPCAP), does
    /// so on every thread, or, when that cannot be done in place, re-executes itself: does not return then. Otherwise sets no_new_privs and returns a line for the log
    /// when some capability beyond the kept ones could not be dropped (null when all is as it should be).
    /// </summary>
    public static string? DropAndReexecute()
    {
        ulong bounding, effective;
        try
        {
            bounding = Read("CapBnd");
            effective = Read("CapEff");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return "cannot read this process's capabilities; none dropped";
        }
        if ((bounding & ~Kept) != 0 && (effective & (1UL << CapSetPcap)) != 0)
        {
            if (OperatingSystem.IsLinux() && CapabilityBroadcast.TryNarrow(Kept, bounding, Read("CapPrm")) is null) return null;
            return ShrinkAndReexecute(bounding);
        }
        Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return (Read("CapPrm") & ~Kept) != 0 ? "running with more capabilities than it needs (could not drop them)" : null;
    }

    private static string ShrinkAndReexecute(ulong bounding)
    {
        // On a thread of its own: execve keeps the calling thread's credentials, and the bounding set is per thread.
        string? failure = null;
        var thread = new Thread(() =>
        {
            for (int cap = 0; cap < 64; cap++)
            {
                if ((bounding & (1UL << cap)) == 0 || (Kept & (1UL << cap)) != 0) continue;
                if (Prctl(PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0) != 0)
                {
                    failure = $"cannot drop capability {cap}: {Errno.Describe(Marshal.GetLastPInvokeError())}";
                    return;
                }
            }
            Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
            Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            Console.Out.Flush();
            Console.Error.Flush();
            Execute("/proc/self/exe", CommandLine(), EnvironmentBlock());
            failure = $"cannot re-execute with fewer capabilities: {Errno.Describe(Marshal.GetLastPInvokeError())}";
        }) { Name = "wg-capdrop" };
        thread.Start();
        thread.Join();
        // Only a failure gets here; this thread's sets are untouched, so the daemon runs on as before, and says so.
        return failure ?? "cannot re-execute with fewer capabilities";
    }

    /// <summary>argv exactly as this process got it (`dotnet exec x.dll -f wg0` or the AOT binary's own).</summary>
    private static string[] CommandLine()
    {
        var text = Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline"));
        return text.TrimEnd('\0').Split('\0');
    }

    /// <summary>The environment as it is now, changes made at start (e.g. --metrics as WGSHARP_METRICS) included.</summary>
    private static List<string> EnvironmentBlock()
    {
        var block = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            block.Add($"{entry.Key}={entry.Value}");
        return block;
    }
}
