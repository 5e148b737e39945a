using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using WgSharp.Configuration;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// The addresses an interface has after an ifconfig command, by OpenBSD's rules: -inet/-inet6
/// remove a family, "delete"/"-alias" remove by address (any length), an inet address without
/// "alias" replaces the first inet address, "alias" adds, inet6 addresses are always added, and an
/// address given again with a new length keeps its place with that length. Pure: the CLI then makes
/// the kernel match the result, whatever Linux does on the way (deleting a primary inet address
/// also deletes its secondaries).
/// </summary>
internal static class InterfaceAddressPlan
{
    /// <summary>IPv6 needs links of at least this MTU (RFC 8200); Linux drops a link's IPv6 addresses below it.</summary>
    public const int MinIPv6Mtu = 1280;

    /// <summary>
    /// The addresses <paramref name="existing"/> (in the kernel's order) becomes under
    /// <paramref name="command"/>, or the error OpenBSD's ifconfig would give (without the interface name).
    /// </summary>
    public static bool TryPlan(IReadOnlyList<IpPrefix> existing, IfconfigCommand command,
        [NotNullWhen(true)] out List<IpPrefix>? addresses, [NotNullWhen(false)] out string? error)
    {
        var result = existing.Where(a => !command.RemoveAllAddressesOf.Contains(a.Address.AddressFamily)).ToList();
        addresses = null;
        foreach (var removal in command.DeleteAddresses)
        {
            int index = result.FindIndex(a => a.Address.Equals(removal.Address));
            if (index < 0)
            {
                error = $"SIOCDIFADDR: {removal.Address}: Can't assign requested address";
                return false;
            }
            result.RemoveAt(index);
        }

        var firstNewInet = command.AddAddresses.FirstOrDefault(a => a.IsIPv4);
        if (command.ReplacePrimaryInetAddress && firstNewInet.Address is not null)
        {
            int primary = result.FindIndex(a => a.IsIPv4);
            if (primary >= 0 && !result[primary].Address.Equals(firstNewInet.Address)) result.RemoveAt(primary);
        }
        foreach (var addition in command.AddAddresses)
        {
            int index = result.FindIndex(a => a.Address.Equals(addition.Address));
            if (index >= 0) result[index] = addition;
            else result.Add(addition);
        }
        addresses = result;
        error = null;
        return true;
    }

    /// <summary>
    /// What an MTU below 1280 does that <see cref="CheckMtu"/> lets through: with only the kernel's link-local IPv6
    /// address, Linux turns IPv6 off on the link (the address goes, and comes back with an MTU of 1280 or more). Null
    /// when there is nothing to say.
    /// </summary>
    public static string? MtuNotice(int mtu, IReadOnlyList<IpPrefix> addresses)
    {
        if (mtu >= MinIPv6Mtu || !addresses.Any(a => a.Address.IsIPv6LinkLocal)) return null;
        return $"mtu {mtu} is below {MinIPv6Mtu}: Linux turns IPv6 off on the link (its link-local address goes until the mtu is {MinIPv6Mtu} or more)";
    }

    /// <summary>Why an MTU and a set of addresses cannot go together (Linux would silently drop the IPv6 ones), or null.</summary>
    public static string? CheckMtu(int mtu, IReadOnlyList<IpPrefix> addresses, bool mtuChanges)
    {
        if (mtu >= MinIPv6Mtu) return null;
        // The kernel's own link-local address comes back by itself when the MTU allows IPv6 again.
        var ipv6 = addresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6 && !a.Address.IsIPv6LinkLocal);
        if (ipv6.Address is null) return null;
        return mtuChanges
            ? $"SIOCSIFMTU: mtu {mtu} is below {MinIPv6Mtu}, the minimum for IPv6: remove the inet6 addresses first (Linux would drop them)"
            : $"SIOCAIFADDR: {ipv6.Address}: IPv6 needs an mtu of at least {MinIPv6Mtu} (mtu is {mtu})";
    }
}
