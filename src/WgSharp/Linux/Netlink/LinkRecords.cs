using System.Net;

namespace WgSharp.Linux.Netlink;

/// <summary>
/// One network interface as RTM_GETLINK reports it: its index, name, IFF_* flags, MTU, the driver kind from
/// IFLA_LINKINFO ("tun", "veth", "wireguard"; null when none is reported) and its alias (ifalias).
/// </summary>
internal sealed record LinkInfo(int Index, string Name, uint Flags, int Mtu, string? Kind, string? Alias)
{
    public bool IsUp => (Flags & RtNetlink.IFF_UP) != 0;
}

/// <summary>One address on an interface as RTM_GETADDR reports it.</summary>
internal sealed record AddressInfo(int InterfaceIndex, IPAddress Address, int PrefixLength, uint Flags);
