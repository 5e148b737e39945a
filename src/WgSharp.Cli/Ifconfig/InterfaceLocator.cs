using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Finds the network namespace a wgsharp TUN interface currently lives in: the one wgsharp runs
/// in, or one of the rdomainN namespaces (the interface moves there with `rdomain N`). Searching
/// instead of remembering keeps the kernel the only source of truth.
/// </summary>
internal static class InterfaceLocator
{
    /// <summary>Where the interface is.</summary>
    /// <param name="netns">null for the current namespace, else the rdomainN namespace name.</param>
    public static bool TryFind(string interfaceName, out string? netns)
    {
        netns = null;
        if (IsTunHere(interfaceName)) return true;
        foreach (var name in RDomains.ExistingNamespaces())
        {
            if (NetNs.LinkExists(name, interfaceName))
            {
                netns = name;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// sysfs shows the current namespace's links; tun_flags exists only for TUN/TAP links, so an
    /// unrelated link of the same name is not mistaken for ours.
    /// </summary>
    private static bool IsTunHere(string interfaceName) =>
        File.Exists(Path.Combine("/sys/class/net", interfaceName, "tun_flags"));
}
