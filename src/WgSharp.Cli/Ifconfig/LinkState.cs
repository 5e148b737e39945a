using WgSharp.Configuration;
using WgSharp.Linux;
using WgSharp.Linux.Netlink;

namespace WgSharp.Cli.Ifconfig;

/// <summary>What the kernel says about one link, from rtnetlink in its namespace.</summary>
internal sealed record LinkState(string Name, string? Netns, int Index, int Mtu, bool Up, string? Alias, IReadOnlyList<IpPrefix> Addresses)
{
    /// <summary>Reads the link's state over netlink; throws <see cref="InvalidOperationException"/> if there is no such link or the kernel refuses.</summary>
    public static LinkState Read(string interfaceName, string? netns)
    {
        using var netlink = RouteNetlinkClient.Open(netns);
        var link = netlink.FindLink(interfaceName) ?? throw new InvalidOperationException($"{interfaceName}: no such interface");
        var addresses = netlink.Addresses(link.Index).Select(a => new IpPrefix(a.Address, a.PrefixLength)).ToList();
        return new LinkState(interfaceName, netns, link.Index, link.Mtu, link.IsUp, link.Alias, addresses);
    }

    /// <summary>The routing domain shown in the status: N for namespace rdomainN, 0 for the current one.</summary>
    public int RDomain => Netns is null ? 0 : RDomains.NumberOf(Netns) ?? 0;

    /// <summary>The status formatter's view, with the debug flag taken from the device.</summary>
    public InterfaceInfo ToInterfaceInfo(bool debug) => new()
    {
        Name = Name,
        Flags = InterfaceInfo.WgFlags(Up, debug),
        Mtu = Mtu,
        Index = Index,
        RDomain = RDomain,
        Description = Alias,
        Addresses = Addresses,
    };
}
