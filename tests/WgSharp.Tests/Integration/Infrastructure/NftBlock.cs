using WgSharp.Device.Linux;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// An nftables table in a test namespace that drops traffic, e.g. to cut the direct path between two
/// peers so traffic must take a relay. Dispose deletes the table, restoring the path.
/// </summary>
public sealed class NftBlock : IDisposable
{
    private static int s_counter;
    private readonly NetworkNamespace _netns;
    private readonly string _table;
    private bool _disposed;

    private NftBlock(NetworkNamespace netns, string table)
    {
        _netns = netns;
        _table = table;
    }

    /// <summary>Drops all packets to and from <paramref name="address"/> in the namespace.</summary>
    public static NftBlock Address(NetworkNamespace netns, string address)
    {
        var family = address.Contains(':') ? "ip6" : "ip";
        return Install(netns, $"{family} daddr {address} drop", $"{family} saddr {address} drop");
    }

    /// <summary>Drops UDP packets to or from <paramref name="port"/> in the namespace.</summary>
    public static NftBlock UdpPort(NetworkNamespace netns, ushort port) =>
        Install(netns, $"udp dport {port} drop", $"udp sport {port} drop");

    private static NftBlock Install(NetworkNamespace netns, params string[] rules)
    {
        var table = $"wgsn_block_{Interlocked.Increment(ref s_counter)}";
        var body = string.Join("; ", rules);
        var script =
            $"table inet {table} {{\n" +
            $"  chain input {{ type filter hook input priority 0; policy accept; {body}; }}\n" +
            $"  chain output {{ type filter hook output priority 0; policy accept; {body}; }}\n" +
            $"  chain forward {{ type filter hook forward priority 0; policy accept; {body}; }}\n" +
            "}\n";
        netns.Exec("nft", ["-f", "-"], null, script).EnsureSuccess();
        return new NftBlock(netns, table);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _netns.Exec("nft", "delete", "table", "inet", _table);
    }
}
