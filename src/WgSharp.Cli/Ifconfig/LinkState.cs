using System.Net;
using System.Text.Json;
using WgSharp.Configuration;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>What the kernel says about one link, from `ip -j addr show dev IF` in its namespace.</summary>
internal sealed record LinkState(string Name, string? Netns, int Index, int Mtu, bool Up, string? Alias, IReadOnlyList<IpPrefix> Addresses)
{
    /// <summary>Reads the link's state; throws <see cref="InvalidOperationException"/> if `ip` fails.</summary>
    public static LinkState Read(string interfaceName, string? netns)
    {
        var result = NetNs.Ip(netns, "-j", "addr", "show", "dev", interfaceName).EnsureSuccess();
        using var json = JsonDocument.Parse(result.StandardOutput);
        if (json.RootElement.ValueKind != JsonValueKind.Array || json.RootElement.GetArrayLength() == 0)
            throw new InvalidOperationException($"{interfaceName}: no such interface");
        var link = json.RootElement[0];
        bool up = link.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array &&
                  flags.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.String && f.GetString() == "UP");
        var addresses = new List<IpPrefix>();
        if (link.TryGetProperty("addr_info", out var info) && info.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in info.EnumerateArray())
            {
                if (!entry.TryGetProperty("local", out var local) || !entry.TryGetProperty("prefixlen", out var length)) continue;
                if (IPAddress.TryParse(local.GetString(), out var address) && length.TryGetInt32(out int bits))
                    addresses.Add(new IpPrefix(address, bits));
            }
        }
        return new LinkState(
            interfaceName, netns,
            Index: link.TryGetProperty("ifindex", out var index) ? index.GetInt32() : 0,
            Mtu: link.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 0,
            Up: up,
            Alias: link.TryGetProperty("ifalias", out var alias) ? alias.GetString() : null,
            Addresses: addresses);
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
