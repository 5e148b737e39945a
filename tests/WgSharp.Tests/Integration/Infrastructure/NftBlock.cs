using WgSharp.Linux;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// An nftables table in a test namespace that drops traffic, e.g. to cut the direct path between two
/// peers so traffic must take a relay. Dispose deletes the table, restoring the path.
/// </summary>
internal sealed class NftBlock : IDisposable
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
        return Install(netns, inbound: $"{family} saddr {address} drop", outbound: $"{family} daddr {address} drop");
    }

    /// <summary>
    /// Drops UDP packets sent to a remote <paramref name="port"/> and their answers (sent from it), e.g. the
    /// direct path to a peer's listen port; traffic from a local socket on the same port number to other ports passes.
    /// </summary>
    public static NftBlock RemoteUdpPort(NetworkNamespace netns, ushort port) =>
        Install(netns, inbound: $"udp sport {port} drop", outbound: $"udp dport {port} drop");

    private static NftBlock Install(NetworkNamespace netns, string inbound, string outbound)
    {
        var table = $"wgsn_block_{Interlocked.Increment(ref s_counter)}";
        var script =
            $"table inet {table} {{\n" +
            $"  chain input {{ type filter hook input priority 0; policy accept; {inbound}; }}\n" +
            $"  chain output {{ type filter hook output priority 0; policy accept; {outbound}; }}\n" +
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
