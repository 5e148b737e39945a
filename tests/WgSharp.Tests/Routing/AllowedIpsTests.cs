using System.Net;
using WgSharp.Configuration;
using WgSharp.Routing;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Routing;

public class AllowedIpsTests
{
    private sealed class Peer(string name)
    {
        public override string ToString() => name;
    }

    private static IpPrefix P(string text) =>
        IpPrefix.TryParse(text, out var prefix, out var error) ? prefix.Value : throw new ArgumentException(error);

    private static Peer? Find(AllowedIps<Peer> table, string address) => table.Lookup(IPAddress.Parse(address));

    [Fact]
    public void MostSpecificPrefixWinsIPv4()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b"), c = new("c"), d = new("d");
        table.Insert(P("10.0.0.0/8"), a);
        table.Insert(P("10.1.0.0/16"), b);
        table.Insert(P("10.1.2.0/24"), c);
        table.Insert(P("10.1.2.3/32"), d);
        table.Insert(P("10.1.2.128/25"), a);

        Assert.Same(d, Find(table, "10.1.2.3"));
        Assert.Same(c, Find(table, "10.1.2.4"));
        Assert.Same(a, Find(table, "10.1.2.200"));
        Assert.Same(b, Find(table, "10.1.3.1"));
        Assert.Same(a, Find(table, "10.200.0.1"));
        Assert.Null(Find(table, "11.0.0.1"));
        Assert.Null(Find(table, "9.255.255.255"));
        Assert.Equal(5, table.Count);
    }

    [Fact]
    public void NonByteAlignedPrefixes()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b"), c = new("c");
        table.Insert(P("192.168.0.0/13"), a);   // 192.168.0.0 - 192.175.255.255
        table.Insert(P("192.168.4.0/22"), b);   // 192.168.4.0 - 192.168.7.255
        table.Insert(P("192.168.5.7/31"), c);   // .6 and .7

        Assert.Same(a, Find(table, "192.175.255.255"));
        Assert.Null(Find(table, "192.176.0.0"));
        Assert.Null(Find(table, "192.167.255.255"));
        Assert.Same(b, Find(table, "192.168.4.0"));
        Assert.Same(b, Find(table, "192.168.7.255"));
        Assert.Same(a, Find(table, "192.168.8.0"));
        Assert.Same(c, Find(table, "192.168.5.6"));
        Assert.Same(c, Find(table, "192.168.5.7"));
        Assert.Same(b, Find(table, "192.168.5.8"));
    }

    [Fact]
    public void MostSpecificPrefixWinsIPv6()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b"), c = new("c"), d = new("d");
        table.Insert(P("fd00::/8"), a);
        table.Insert(P("fd00:1234::/32"), b);
        table.Insert(P("fd00:1234:5678::/47"), c);
        table.Insert(P("fd00:1234:5678::1/128"), d);

        Assert.Same(d, Find(table, "fd00:1234:5678::1"));
        Assert.Same(c, Find(table, "fd00:1234:5678::2"));
        Assert.Same(c, Find(table, "fd00:1234:5679:ffff::"));
        Assert.Same(b, Find(table, "fd00:1234:567a::"));
        Assert.Same(a, Find(table, "fdff::1"));
        Assert.Null(Find(table, "fe80::1"));
        Assert.Null(Find(table, "10.1.2.3"));
    }

    [Fact]
    public void DefaultRoutesAreSeparatePerFamily()
    {
        var table = new AllowedIps<Peer>();
        Peer v4 = new("v4"), v6 = new("v6"), specific = new("specific");
        table.Insert(P("0.0.0.0/0"), v4);
        Assert.Same(v4, Find(table, "1.2.3.4"));
        Assert.Same(v4, Find(table, "255.255.255.255"));
        Assert.Null(Find(table, "::1"));

        table.Insert(P("::/0"), v6);
        table.Insert(P("2001:db8::/32"), specific);
        Assert.Same(v6, Find(table, "::1"));
        Assert.Same(v6, Find(table, "ffff::1"));
        Assert.Same(specific, Find(table, "2001:db8::1"));
        Assert.Same(v4, Find(table, "0.0.0.0"));

        Assert.True(table.Remove(P("0.0.0.0/0"), v4));
        Assert.Null(Find(table, "1.2.3.4"));
        Assert.Same(v6, Find(table, "::1"));
    }

    [Fact]
    public void RawByteAndNumericLookupsAgree()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.0.0.0/24"), a);
        table.Insert(P("2001:db8::/64"), b);

        Assert.Same(a, table.Lookup([10, 0, 0, 77]));
        Assert.Same(a, table.LookupIPv4(0x0A00004D));
        Assert.Null(table.LookupIPv4(0x0A00014D));
        byte[] v6 = IPAddress.Parse("2001:db8::5").GetAddressBytes();
        Assert.Same(b, table.Lookup(v6));
        Assert.Same(b, table.LookupIPv6(0x20010db800000000, 5));
        Assert.Null(table.LookupIPv6(0x20010db800000001, 5));
        // Anything that is not a 4- or 16-byte address matches nothing rather than throwing.
        Assert.Null(table.Lookup([10, 0, 0]));
        Assert.Null(table.Lookup(ReadOnlySpan<byte>.Empty));
        Assert.Null(table.Lookup(new byte[17]));
    }

    [Fact]
    public void HostBitsAreMasked()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.1.2.3/8"), a);
        table.Insert(P("2001:db8::dead:beef/32"), b);

        Assert.Equal([P("10.0.0.0/8")], table.EntriesForPeer(a));
        Assert.Equal([P("2001:db8::/32")], table.EntriesForPeer(b));
        Assert.Same(a, Find(table, "10.255.0.1"));
        // The same prefix written with other host bits is the same entry.
        table.Insert(P("10.9.9.9/8"), a);
        Assert.Equal(2, table.Count);
        Assert.True(table.Remove(P("10.0.0.1/8"), a));
        Assert.Null(Find(table, "10.1.2.3"));
    }

    [Fact]
    public void RemoveOnlyByOwner()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.0.0.0/8"), a);
        table.Insert(P("10.1.0.0/16"), b);

        Assert.False(table.Remove(P("10.1.0.0/16"), a));
        Assert.False(table.Remove(P("10.1.0.0/17"), b));
        Assert.False(table.Remove(P("172.16.0.0/12"), a));
        Assert.Same(b, Find(table, "10.1.0.1"));

        Assert.True(table.Remove(P("10.1.0.0/16"), b));
        Assert.Same(a, Find(table, "10.1.0.1"));
        Assert.False(table.Remove(P("10.1.0.0/16"), b));
        Assert.Empty(table.EntriesForPeer(b));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void MovingAPrefixToAnotherPeerRemovesItFromTheFirst()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.0.0.0/24"), a);
        table.Insert(P("10.0.1.0/24"), a);
        table.Insert(P("fd00::1/128"), a);

        table.Insert(P("10.0.0.0/24"), b);
        table.Insert(P("fd00::1/128"), b);

        Assert.Same(b, Find(table, "10.0.0.5"));
        Assert.Same(a, Find(table, "10.0.1.5"));
        Assert.Same(b, Find(table, "fd00::1"));
        Assert.Equal([P("10.0.1.0/24")], table.EntriesForPeer(a));
        Assert.Equal([P("10.0.0.0/24"), P("fd00::1/128")], table.EntriesForPeer(b));
        Assert.Equal(3, table.Count);
        Assert.False(table.Remove(P("10.0.0.0/24"), a));
        Assert.Same(b, table.OwnerOf(P("10.0.0.0/24")));
    }

    [Fact]
    public void RemoveByPeerLeavesOtherPeersAlone()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.0.0.0/8"), a);
        table.Insert(P("10.1.0.0/16"), b);
        table.Insert(P("10.1.1.0/24"), a);
        table.Insert(P("fd00::/64"), a);
        table.Insert(P("fd00::1/128"), b);

        table.RemoveByPeer(a);

        Assert.Null(Find(table, "10.2.0.1"));
        Assert.Same(b, Find(table, "10.1.1.1"));
        Assert.Null(Find(table, "fd00::2"));
        Assert.Same(b, Find(table, "fd00::1"));
        Assert.Empty(table.EntriesForPeer(a));
        Assert.Equal(2, table.Count);
        table.RemoveByPeer(a); // no-op
        table.RemoveByPeer(b);
        Assert.Equal(0, table.Count);
        Assert.Null(Find(table, "10.1.1.1"));
        Assert.Equal(2, table.NodeCount); // only the two empty roots are left
    }

    [Fact]
    public void EntriesForPeerKeepInsertionOrder()
    {
        var table = new AllowedIps<Peer>();
        var a = new Peer("a");
        string[] prefixes = ["192.168.7.0/24", "fd00::/8", "10.0.0.0/8", "0.0.0.0/0", "10.0.0.1/32", "::/0"];
        foreach (var p in prefixes) table.Insert(P(p), a);
        table.Insert(P("10.0.0.0/8"), a); // re-insert keeps its position
        Assert.Equal(prefixes.Select(P), table.EntriesForPeer(a));
        Assert.Equal(6, table.Count);
    }

    [Fact]
    public void ClearEmptiesTheTable()
    {
        var table = new AllowedIps<Peer>();
        Peer a = new("a"), b = new("b");
        table.Insert(P("10.0.0.0/8"), a);
        table.Insert(P("fd00::/8"), b);
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.Null(Find(table, "10.0.0.1"));
        Assert.Null(Find(table, "fd00::1"));
        Assert.Empty(table.EntriesForPeer(a));
    }

    [Fact]
    public void RejectsBadPrefixLengths()
    {
        var table = new AllowedIps<Peer>();
        var a = new Peer("a");
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Insert(new IpPrefix(IPAddress.Parse("10.0.0.0"), 33), a));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Insert(new IpPrefix(IPAddress.Parse("::"), -1), a));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void NodesCollapseWhenPrefixesAreRemoved()
    {
        var table = new AllowedIps<Peer>();
        var a = new Peer("a");
        table.Insert(P("fd00:1::1/128"), a);
        table.Insert(P("fd00:1::2/128"), a);
        table.Insert(P("fd00:2::/32"), a);
        int peak = table.NodeCount;
        table.Remove(P("fd00:1::2/128"), a);
        table.Remove(P("fd00:2::/32"), a);
        Assert.True(table.NodeCount < peak);
        Assert.Same(a, Find(table, "fd00:1::1"));
        Assert.Null(Find(table, "fd00:1::2"));
        // One lone /128 needs only one node under the root, however deep it is.
        Assert.Equal(2 + 1, table.NodeCount);
    }

    [Fact]
    public void LookupDoesNotAllocate()
    {
        var table = new AllowedIps<Peer>();
        var rng = new Random(7);
        var peers = Enumerable.Range(0, 16).Select(i => new Peer(i.ToString())).ToArray();
        for (int i = 0; i < 5000; i++)
        {
            table.Insert(new IpPrefix(new IPAddress((uint)rng.Next()), rng.Next(0, 33)), peers[i % 16]);
            var v6 = new byte[16];
            rng.NextBytes(v6);
            table.Insert(new IpPrefix(new IPAddress(v6), rng.Next(0, 129)), peers[i % 16]);
        }
        byte[] v4Address = [10, 1, 2, 3];
        byte[] v6Address = IPAddress.Parse("fd00::1").GetAddressBytes();
        table.Lookup(v4Address);
        table.Lookup(v6Address);
        // 30,000 lookups per window: a lookup that allocates shows in every window.
        int found = 0;
        long fewest = Allocations.FewestPerWindow(3, 10000, i =>
        {
            v4Address[3] = (byte)i;
            v6Address[i % 16] ^= (byte)i;
            if (table.Lookup(v4Address) is not null) found++;
            if (table.Lookup(v6Address) is not null) found++;
            if (table.LookupIPv4((uint)i * 2654435761u) is not null) found++;
        });
        Assert.Equal(0, fewest);
        Assert.True(found > 0);
    }
}
