using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Finds the network namespace a wgsharp TUN interface's link lives in. The rule every command follows
/// (`wgsharp IFNAME`, `wgsharp wg`, `wgsharp show IFNAME json`, `show all json`, `wg show`): an interface exists
/// when its control socket serves (one per name on the host, as for wg(8)); its link is looked up in the current
/// namespace, then in the rdomainN namespaces, then in every other named namespace (`ip netns list`), so a daemon
/// started under `ip netns exec NS` is found from the root namespace too. Only a link in an unnamed namespace (the
/// root one, seen from inside `ip netns exec`) cannot be reached; the commands say so. Searching instead of
/// remembering keeps the kernel the only source of truth.
/// </summary>
internal static class InterfaceLocator
{
    /// <summary>Where the interface is.</summary>
    /// <param name="netns">null for the current namespace, else the name of the namespace it is in.</param>
    public static bool TryFind(string interfaceName, out string? netns)
    {
        netns = null;
        if (IsTunHere(interfaceName)) return true;
        foreach (var name in SearchOrder())
        {
            if (IsTunIn(name, interfaceName))
            {
                netns = name;
                return true;
            }
        }
        return false;
    }

    /// <summary>The one-line reason a serving interface's link was not found (the command's error).</summary>
    public static string NotFoundReason(string interfaceName) =>
        $"{interfaceName}: no such interface in this network namespace or any named one";

    /// <summary>The rdomainN namespaces in number order, then the other named namespaces in name order.</summary>
    private static IEnumerable<string> SearchOrder()
    {
        var rdomains = RDomains.ExistingNamespaces().ToList();
        if (!Directory.Exists(NetNs.NamedNamespaceDirectory)) return rdomains;
        var others = Directory.EnumerateFiles(NetNs.NamedNamespaceDirectory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !rdomains.Contains(name))
            .Order(StringComparer.Ordinal);
        return rdomains.Concat(others);
    }

    /// <summary>
    /// sysfs shows the current namespace's links; tun_flags exists only for TUN/TAP links, so an
    /// unrelated link of the same name is not mistaken for ours.
    /// </summary>
    private static bool IsTunHere(string interfaceName) =>
        File.Exists(Path.Combine("/sys/class/net", interfaceName, "tun_flags"));

    /// <summary>Whether namespace <paramref name="netns"/> has a TUN link of that name (a kernel wg0 there is not ours).</summary>
    private static bool IsTunIn(string netns, string interfaceName)
    {
        try
        {
            return NetNs.FindLink(netns, interfaceName)?.Kind == "tun";
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
        {
            return false; // a namespace that vanished or cannot be entered holds nothing of ours
        }
    }
}
