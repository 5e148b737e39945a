using System.Runtime.Versioning;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using WgSharp.Configuration;
using WgSharp.Linux.Netlink;

namespace WgSharp.Linux;

/// <summary>
/// Named Linux network namespaces (the ones `ip netns` keeps under /var/run/netns): running code
/// inside one, creating and deleting them, and the link, address and route changes the device needs there,
/// all in-process (unshare, setns, mount and rtnetlink: no `ip` child process).
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
    /// Creates the named namespace unless it already exists and brings its loopback up, in-process as `ip netns add`
    /// does: /var/run/netns made a shared mount (so the namespace mount propagates to every mount namespace), an
    /// empty file NAME in it, and a thread that unshares a new network namespace and bind-mounts it onto that file.
    /// From a private mount namespace (a process under `ip netns exec`, whose /var/run/netns only receives mounts)
    /// a mount made here would exist for this process only and leave everyone else an empty file, and a
    /// multithreaded process cannot enter another mount namespace: the namespace is not made, and a clear error
    /// says to make it first (`ip netns add`) or to run outside `ip netns exec`.
    /// </summary>
    /// <exception cref="NetworkSetupException">A step failed (the message names it and the errno); nothing is left behind.</exception>
    public static void Create(string name) => Create(name, bringLoopbackUp: null);

    /// <summary><see cref="Create(string)"/> with the loopback step replaceable, so tests can make it fail.</summary>
    internal static void Create(string name, Action<string>? bringLoopbackUp)
    {
        string path = PathOf(name);
        if (Exists(name))
            return;
        if (MountNamespaceOutside() != -1)
            throw new InvalidOperationException(
                $"cannot create network namespace '{name}' from inside `ip netns exec` (a private mount namespace): create it first with `ip netns add {name}`, or run wgsharp outside `ip netns exec`");
        string attempted = $"create network namespace '{name}'";
        MakeSharedNamespaceDirectory(attempted);
        int fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = LibC.Errno;
            if (errno == Errno.EEXIST) return; // lost a race with another creator: fine
            throw new NetworkSetupException(attempted, errno);
        }
        LibC.Close(fd);
        try
        {
            RunOnDedicatedThread(() => MountNewNamespace(path, attempted));
            if (!IsNamespaceFile(path))
                throw new NetworkSetupException(attempted, "the namespace was made but cannot be seen from this mount namespace; run wgsharp outside `ip netns exec`");
            (bringLoopbackUp ?? BringLoopbackUp)(name);
        }
        catch
        {
            // Left behind, the half-made namespace would be taken as ready by the next Create (it exists).
            RemoveMount(path, attempted);
            throw;
        }
    }

    private static void BringLoopbackUp(string name)
    {
        using var netlink = RouteNetlinkClient.Open(name);
        netlink.SetLinkUp("lo", true);
    }

    /// <summary>mkdir /var/run/netns and make it a shared mount (bind-mounting it onto itself first if it is none), as iproute2 does.</summary>
    private static void MakeSharedNamespaceDirectory(string attempted)
    {
        if (LibC.MkDir(NamedNamespaceDirectory, 0x1ed /* 0755 */) < 0 && LibC.Errno != Errno.EEXIST)
            throw new NetworkSetupException(attempted + $": mkdir {NamedNamespaceDirectory}", LibC.Errno);
        if (LibC.Mount("none", NamedNamespaceDirectory, "none", LibC.MS_SHARED | LibC.MS_REC, 0) == 0)
            return;
        int errno = LibC.Errno;
        if (errno != Errno.EINVAL) // EINVAL: not a mount point yet
            throw new NetworkSetupException(attempted + $": make {NamedNamespaceDirectory} a shared mount", errno);
        if (LibC.Mount(NamedNamespaceDirectory, NamedNamespaceDirectory, "none", LibC.MS_BIND | LibC.MS_REC, 0) < 0)
            throw new NetworkSetupException(attempted + $": bind-mount {NamedNamespaceDirectory} onto itself", LibC.Errno);
        if (LibC.Mount("none", NamedNamespaceDirectory, "none", LibC.MS_SHARED | LibC.MS_REC, 0) < 0)
            throw new NetworkSetupException(attempted + $": make {NamedNamespaceDirectory} a shared mount", LibC.Errno);
    }

    /// <summary>On a thread of its own: unshare a new network namespace, pin it by a bind mount on <paramref name="path"/>, return.</summary>
    private static void MountNewNamespace(string path, string attempted)
    {
        using var original = OpenCurrent();
        if (LibC.Unshare(LibC.CLONE_NEWNET) < 0)
            throw new NetworkSetupException(attempted, LibC.Errno);
        try
        {
            if (LibC.Mount(CurrentThreadNamespace, path, "none", LibC.MS_BIND, 0) < 0)
                throw new NetworkSetupException(attempted + $": bind-mount it on {path}", LibC.Errno);
        }
        finally
        {
            // If leaving fails the thread is about to exit anyway, so nothing else ever runs in the new namespace.
            Enter(original);
        }
    }

    /// <summary>Deletes the named namespace if it exists (`ip netns delete`: detach the mount, remove the file). Interfaces
    /// inside it are destroyed (physical ones return to the root namespace) once nothing else holds it.</summary>
    public static void Delete(string name)
    {
        string path = PathOf(name);
        if (!Exists(name))
            return;
        if (MountNamespaceOutside() > 0)
            throw new InvalidOperationException(
                $"cannot delete network namespace '{name}' from inside `ip netns exec` (a private mount namespace): delete it with `ip netns delete {name}`");
        RemoveMount(path, $"delete network namespace '{name}'");
    }

    private static void RemoveMount(string path, string attempted)
    {
        // EINVAL: the file is not (or no longer) a mount point; the file itself still goes.
        if (LibC.Umount2(path, LibC.MNT_DETACH) < 0 && LibC.Errno is not (Errno.EINVAL or Errno.ENOENT))
            throw new NetworkSetupException(attempted, LibC.Errno);
        if (LibC.Unlink(path) < 0 && LibC.Errno != Errno.ENOENT)
            throw new NetworkSetupException(attempted, LibC.Errno);
    }

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
    public static T Run<T>(SafeFileHandle namespaceFile, Func<T> action) =>
        RunOnDedicatedThread(() =>
        {
            using var original = OpenCurrent();
            Enter(namespaceFile);
            try
            {
                return action();
            }
            finally
            {
                // If leaving fails the thread is about to exit anyway, so nothing else ever runs in the foreign namespace.
                Enter(original);
            }
        });

    private static void RunOnDedicatedThread(Action action) => RunOnDedicatedThread(() => { action(); return true; });

    /// <summary>A fresh thread for code that changes its thread's namespace: no pooled thread is ever left in a foreign one.</summary>
    private static T RunOnDedicatedThread<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
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

    /// <summary>"net:[inode]" of the named namespace (the same name made again is another namespace), null when it cannot be opened.</summary>
    public static string? IdentityOf(string name)
    {
        try
        {
            using var handle = Open(name);
            return Identity($"/proc/self/fd/{handle.DangerousGetHandle()}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // readlink of a namespace file gives "net:[inode]", which identifies the namespace.
    private static string? Identity(string path) => new FileInfo(path).LinkTarget;

    /// <summary>Moves an interface into the named namespace (`ip link set IF netns NS`).</summary>
    public static void MoveLink(string interfaceName, string targetNetns, string? fromNetns = null)
    {
        using var target = Open(targetNetns);
        using var netlink = RouteNetlinkClient.Open(fromNetns);
        netlink.MoveLink(interfaceName, target, targetNetns);
    }

    /// <summary>Adds an address in prefix notation ("192.0.2.1/24"); IPv6 ones without duplicate address detection.</summary>
    public static void AddAddress(string? netns, string interfaceName, string prefix)
    {
        if (!IpPrefix.TryParse(prefix, out var parsed, out string error))
            throw new ArgumentException($"invalid address '{prefix}': {error}", nameof(prefix));
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.AddAddress(interfaceName, parsed.Value);
    }

    /// <summary>Removes an address from the interface.</summary>
    public static void DeleteAddress(string? netns, string interfaceName, IpPrefix prefix)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.DeleteAddress(interfaceName, prefix);
    }

    public static void SetLinkUp(string? netns, string interfaceName, bool up)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.SetLinkUp(interfaceName, up);
    }

    public static void SetMtu(string? netns, string interfaceName, int mtu)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.SetMtu(interfaceName, mtu);
    }

    /// <summary>Adds a route to <paramref name="prefix"/> through the interface (`ip route add PREFIX dev IF`).</summary>
    public static void AddRoute(string? netns, string prefix, string interfaceName)
    {
        if (!IpPrefix.TryParse(prefix, out var parsed, out string error))
            throw new ArgumentException($"invalid route '{prefix}': {error}", nameof(prefix));
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.AddRoute(parsed.Value, interfaceName);
    }

    /// <summary>Deletes the interface (`ip link del dev IF`).</summary>
    public static void DeleteLink(string? netns, string interfaceName)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        netlink.DeleteLink(interfaceName);
    }

    /// <summary>The interface, or null if it does not exist in that namespace.</summary>
    public static LinkInfo? FindLink(string? netns, string interfaceName)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        return netlink.FindLink(interfaceName);
    }

    /// <summary>Every interface of that namespace.</summary>
    public static IReadOnlyList<LinkInfo> Links(string? netns)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        return netlink.Links();
    }

    /// <summary>True if the interface exists in that namespace.</summary>
    public static bool LinkExists(string? netns, string interfaceName) => FindLink(netns, interfaceName) is not null;
}
