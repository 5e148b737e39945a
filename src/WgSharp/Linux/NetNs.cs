using System.Runtime.Versioning;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;

namespace WgSharp.Linux;

/// <summary>
/// Named Linux network namespaces (the ones `ip netns` keeps under /var/run/netns): running code
/// inside one, creating and deleting them, and the `ip` commands the device needs there.
/// </summary>
/// <remarks>
/// The network namespace is a per-thread property. Code runs inside a namespace on a fresh
/// dedicated thread that enters it with setns(2) and leaves again before exiting, so no pooled
/// thread is ever left in a foreign namespace. Sockets and TUN file descriptors keep the
/// namespace they were created in, which is what makes this useful.
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class NetNs
{
    public const string NamedNamespaceDirectory = "/var/run/netns";
    private const string CurrentThreadNamespace = "/proc/thread-self/ns/net";

    /// <summary>True if <paramref name="name"/> is usable as a namespace name (no path tricks).</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 200 && name[0] != '.' && name[0] != '-' &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static string PathOf(string name)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"invalid network namespace name '{name}'", nameof(name));
        return Path.Combine(NamedNamespaceDirectory, name);
    }

    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>
    /// Creates the named namespace unless it already exists; brings its loopback up. From a private mount namespace
    /// (a process under `ip netns exec`, which gives each command one whose /var/run/netns only receives mounts)
    /// `ip netns add` runs in the mount namespace of the nearest ancestor process outside it (nsenter -m): its bind
    /// mount is then seen by everyone and reaches this process too. Made here, it would exist for this process only
    /// and leave everyone else an empty file that cannot be entered. Where no such ancestor can be entered the
    /// namespace is not made: a clear error says to make it first (`ip netns add`) or run outside `ip netns exec`.
    /// </summary>
    public static void Create(string name) => Create(name, bringLoopbackUp: null);

    /// <summary><see cref="Create(string)"/> with the loopback step replaceable, so tests can make it fail.</summary>
    internal static void Create(string name, Action<string>? bringLoopbackUp)
    {
        if (Exists(name))
            return;
        var outside = MountNamespaceOutside();
        if (outside == 0)
            throw new InvalidOperationException(
                $"cannot create network namespace {name} from inside `ip netns exec` (a private mount namespace): create it first with `ip netns add {name}`, or run wgsharp outside `ip netns exec`");
        var result = RunIpNetns(outside, "add", name);
        if (!result.Succeeded && !Exists(name)) // lost a race with another creator: fine
            result.EnsureSuccess();
        bool madeHere = result.Succeeded;
        if (!IsNamespaceFile(PathOf(name)))
        {
            RunIpNetns(outside, "delete", name);
            throw new InvalidOperationException(
                $"network namespace {name} was made but cannot be seen from this mount namespace; run wgsharp outside `ip netns exec`");
        }
        try
        {
            if (bringLoopbackUp is null) Ip(name, "link", "set", "lo", "up").EnsureSuccess();
            else bringLoopbackUp(name);
        }
        catch
        {
            // Left behind, the half-made namespace would be taken as ready by the next Create (it exists).
            if (madeHere) RunIpNetns(outside, "delete", name);
            throw;
        }
    }

    /// <summary>Deletes the named namespace if it exists. Interfaces inside it are destroyed (physical ones return to the root namespace).</summary>
    public static void Delete(string name)
    {
        if (!Exists(name))
            return;
        var outside = MountNamespaceOutside();
        var result = RunIpNetns(outside == 0 ? -1 : outside, "delete", name);
        if (!result.Succeeded && Exists(name))
            result.EnsureSuccess();
    }

    /// <summary>`ip netns ARGS...`: here (<paramref name="pid"/> -1) or in that process's mount namespace.</summary>
    private static CommandResult RunIpNetns(int pid, params string[] arguments) =>
        pid > 0
            ? CommandRunner.Run(SystemPrograms.Path("nsenter"), ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--", SystemPrograms.Path("ip"), "netns", .. arguments])
            : CommandRunner.Run(SystemPrograms.Path("ip"), ["netns", .. arguments]);

    /// <summary>
    /// -1 when mounts made here are seen by everyone (this process is in the same mount namespace as its ancestors);
    /// else the nearest ancestor (PID 1 last) in another mount namespace whose one can be entered; 0 when none can.
    /// </summary>
    internal static int MountNamespaceOutside()
    {
        var own = MountNamespaceOf("self");
        if (own is null) return -1;
        bool differs = false;
        int pid = Environment.ProcessId;
        for (int hops = 0; hops < 64 && pid > 1; hops++)
        {
            pid = ParentOf(pid);
            if (pid <= 0) break;
            var theirs = MountNamespaceOf(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (theirs is null) { differs |= pid == 1; continue; } // not readable (PID 1 in a sandbox): unknown
            if (theirs != own) return pid;
        }
        return differs && IsSlaveNetnsDirectory() ? 0 : -1;
    }

    private static string? MountNamespaceOf(string pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("PPid:", StringComparison.Ordinal))
                    return int.Parse(line.AsSpan(5).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return 0;
    }

    /// <summary>True when /run/netns here only receives mounts ("master:" without "shared:"), as under `ip netns exec`.</summary>
    private static bool IsSlaveNetnsDirectory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 6 && fields[4] == "/run/netns")
                    return line.Contains(" master:", StringComparison.Ordinal) && !line.Contains(" shared:", StringComparison.Ordinal);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return false;
    }

    /// <summary>True when <paramref name="path"/> is a namespace (nsfs) mount, not the empty file under it.</summary>
    private static bool IsNamespaceFile(string path)
    {
        try
        {
            using var handle = OpenPath(path);
            return LibC.IsNamespaceFile((int)handle.DangerousGetHandle());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LinuxIoException) { return false; }
    }

    /// <summary>Opens a namespace file (for setns) by name.</summary>
    public static SafeFileHandle Open(string name) => OpenPath(PathOf(name));

    /// <summary>Opens the network namespace the calling thread is in.</summary>
    public static SafeFileHandle OpenCurrent() => OpenPath(CurrentThreadNamespace);

    private static SafeFileHandle OpenPath(string path)
    {
        var fd = LibC.Check(LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC), $"open {path}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Runs <paramref name="action"/> on a dedicated thread inside the named namespace and returns its result.</summary>
    public static T Run<T>(string name, Func<T> action)
    {
        using var target = Open(name);
        return Run(target, action);
    }

    public static void Run(string name, Action action) => Run(name, () => { action(); return true; });

    /// <summary>Runs <paramref name="action"/> on a dedicated thread inside the namespace referred to by <paramref name="namespaceFile"/>.</summary>
    public static T Run<T>(SafeFileHandle namespaceFile, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var original = OpenCurrent();
                Enter(namespaceFile);
                try
                {
                    result = action();
                }
                finally
                {
                    // If leaving fails the thread is about to exit anyway, so nothing else ever runs in the foreign namespace.
                    Enter(original);
                }
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static void Enter(SafeFileHandle namespaceFile)
    {
        var added = false;
        namespaceFile.DangerousAddRef(ref added);
        try
        {
            LibC.Check(LibC.SetNs((int)namespaceFile.DangerousGetHandle(), LibC.CLONE_NEWNET), "setns");
        }
        finally
        {
            if (added)
                namespaceFile.DangerousRelease();
        }
    }

    /// <summary>True if the namespace file refers to the namespace the calling thread is in.</summary>
    public static bool IsCurrent(SafeFileHandle namespaceFile) =>
        Identity($"/proc/self/fd/{namespaceFile.DangerousGetHandle()}") == Identity(CurrentThreadNamespace);

    // readlink of a namespace file gives "net:[inode]", which identifies the namespace.
    private static string? Identity(string path) => new FileInfo(path).LinkTarget;

    /// <summary>Runs `ip [-n NS] ARGS...`; <paramref name="netns"/> null means the caller's namespace.</summary>
    public static CommandResult Ip(string? netns, params string[] arguments)
    {
        var all = new List<string>();
        if (netns != null)
        {
            PathOf(netns); // validates
            all.Add("-n");
            all.Add(netns);
        }
        all.AddRange(arguments);
        return CommandRunner.Run(SystemPrograms.Path("ip"), all);
    }

    /// <summary>Moves an interface into the named namespace (`ip link set IF netns NS`).</summary>
    public static void MoveLink(string interfaceName, string targetNetns, string? fromNetns = null)
    {
        PathOf(targetNetns);
        Ip(fromNetns, "link", "set", "dev", interfaceName, "netns", targetNetns).EnsureSuccess();
    }

    public static void AddAddress(string? netns, string interfaceName, string prefix)
    {
        // IPv6 without duplicate address detection, so the address is usable at once.
        var arguments = prefix.Contains(':')
            ? new[] { "-6", "address", "add", prefix, "dev", interfaceName, "nodad" }
            : new[] { "address", "add", prefix, "dev", interfaceName };
        Ip(netns, arguments).EnsureSuccess();
    }

    public static void SetLinkUp(string? netns, string interfaceName, bool up) =>
        Ip(netns, "link", "set", "dev", interfaceName, up ? "up" : "down").EnsureSuccess();

    public static void SetMtu(string? netns, string interfaceName, int mtu) =>
        Ip(netns, "link", "set", "dev", interfaceName, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture)).EnsureSuccess();

    public static void AddRoute(string? netns, string prefix, string interfaceName) =>
        Ip(netns, prefix.Contains(':') ? "-6" : "-4", "route", "add", prefix, "dev", interfaceName).EnsureSuccess();

    /// <summary>True if the interface exists in that namespace.</summary>
    public static bool LinkExists(string? netns, string interfaceName) =>
        Ip(netns, "link", "show", "dev", interfaceName).Succeeded;
}
