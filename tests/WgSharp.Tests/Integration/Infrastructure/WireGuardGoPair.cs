namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Two namespaces joined by a veth pair, each running a wireguard-go peer that knows the other:
/// the standard fixture for tunnel tests. Outer addresses 192.0.2.1/2 and 2001:db8:1::1/2,
/// tunnel addresses 198.51.100.1/2 and 2001:db8:100::1/2 (documentation ranges, never routed anywhere).
/// </summary>
internal sealed class WireGuardGoPair : IDisposable
{
    public const ushort ListenPort = 51820;
    public static readonly string[] OuterA = ["192.0.2.1/24", "2001:db8:1::1/64"];
    public static readonly string[] OuterB = ["192.0.2.2/24", "2001:db8:1::2/64"];
    public const string InnerA4 = "198.51.100.1", InnerB4 = "198.51.100.2";
    public const string InnerA6 = "2001:db8:100::1", InnerB6 = "2001:db8:100::2";

    private readonly List<IDisposable> _owned = [];

    public NetworkNamespace NamespaceA { get; }
    public NetworkNamespace NamespaceB { get; }
    public WireGuardGoPeer PeerA { get; }
    public WireGuardGoPeer PeerB { get; }

    /// <param name="outerIPv6">Peers reach each other over IPv6 instead of IPv4.</param>
    public WireGuardGoPair(bool outerIPv6 = false)
    {
        try
        {
            NamespaceA = Own(NetworkNamespace.Create());
            NamespaceB = Own(NetworkNamespace.Create());
            NetworkNamespace.ConnectVeth(NamespaceA, NamespaceB, OuterA, OuterB);
            PeerA = Own(WireGuardGoPeer.Start(NamespaceA));
            PeerB = Own(WireGuardGoPeer.Start(NamespaceB));
            PeerA.SetListenPort(ListenPort);
            PeerB.SetListenPort(ListenPort);
            PeerA.SetPeer(PeerB.PublicKey, $"{InnerB4}/32,{InnerB6}/128", outerIPv6 ? $"[2001:db8:1::2]:{ListenPort}" : $"192.0.2.2:{ListenPort}");
            PeerB.SetPeer(PeerA.PublicKey, $"{InnerA4}/32,{InnerA6}/128", outerIPv6 ? $"[2001:db8:1::1]:{ListenPort}" : $"192.0.2.1:{ListenPort}");
            PeerA.AddAddressAndUp($"{InnerA4}/24", $"{InnerA6}/64");
            PeerB.AddAddressAndUp($"{InnerB4}/24", $"{InnerB6}/64");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    /// <summary>Stops the peers, then deletes the namespaces (reverse order of creation).</summary>
    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                _owned[i].Dispose();
            }
            catch (Exception)
            {
                // keep cleaning up the rest
            }
        }
        _owned.Clear();
    }
}
