using System.Globalization;

namespace WgSharp.Linux;

/// <summary>
/// ip(8) for what the library does not do in-process (the CLI's `route exec`, ifconfig's less common changes and
/// `ip netns add/delete` from inside `ip netns exec`, where only another mount namespace can make a namespace that
/// everyone sees). The library itself never starts a process.
/// </summary>
internal static class IpCommand
{
    /// <summary>Runs `ip [-n NS] ARGS...`; <paramref name="netns"/> null means the caller's namespace.</summary>
    public static CommandResult Run(string? netns, params string[] arguments)
    {
        var all = new List<string>();
        if (netns != null)
        {
            NetNs.PathOf(netns); // validates
            all.Add("-n");
            all.Add(netns);
        }
        all.AddRange(arguments);
        return CommandRunner.Run(SystemPrograms.Path("ip"), all);
    }

    /// <summary>
    /// Creates the named namespace (loopback up) so every mount namespace sees it: in-process where mounts made here
    /// propagate, else `nsenter -t PID -m -- ip netns add` in the nearest ancestor's mount namespace (NetNs cannot enter
    /// it: a multithreaded process cannot change its mount namespace).
    /// </summary>
    public static void CreateNamespace(string name)
    {
        int outside = NetNs.MountNamespaceOutside();
        if (outside <= 0)
        {
            NetNs.Create(name); // -1: in-process; 0: its clear error
            return;
        }
        if (NetNs.Exists(name)) return;
        var result = RunIpNetns(outside, "add", name);
        if (!result.Succeeded && !NetNs.Exists(name)) // lost a race with another creator: fine
            result.EnsureSuccess();
        try
        {
            NetNs.SetLinkUp(name, "lo", true);
        }
        catch
        {
            if (result.Succeeded) RunIpNetns(outside, "delete", name);
            throw;
        }
    }

    /// <summary>Deletes the named namespace for every mount namespace (see <see cref="CreateNamespace"/>).</summary>
    public static void DeleteNamespace(string name)
    {
        int outside = NetNs.MountNamespaceOutside();
        if (outside <= 0)
        {
            NetNs.Delete(name);
            return;
        }
        if (!NetNs.Exists(name)) return;
        var result = RunIpNetns(outside, "delete", name);
        if (!result.Succeeded && NetNs.Exists(name))
            result.EnsureSuccess();
    }

    private static CommandResult RunIpNetns(int pid, params string[] arguments) =>
        CommandRunner.Run(SystemPrograms.Path("nsenter"),
            ["-t", pid.ToString(CultureInfo.InvariantCulture), "-m", "--", SystemPrograms.Path("ip"), "netns", .. arguments]);
}
