using System.Net;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Routing;

namespace WgSharp.Tests.Routing;

/// <summary>
/// Loading n allowed IPs must cost O(n): the work is counted (key equality checks, through a
/// <see cref="CountingComparer{T}"/> the parser and the table are given) at n and 4n, never timed. Linear work grows about 4x; the old
/// List.Contains/Remove per line grew 16x.
/// </summary>
public class AllowedIpsLoadScalingTests
{
    private const int N = 3000;

    private sealed class Peer;

    private static IpPrefix HostRoute(int i) =>
        new(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 32);

    private static long Counted<T>(CountingComparer<T> comparer, Action work)
    {
        comparer.Reset();
        work();
        return comparer.Count;
    }

    private static void AssertLinear(Func<int, long> workFor)
    {
        long small = workFor(N), large = workFor(4 * N);
        Assert.True(small > 0, "no key comparison was counted: the code under test no longer uses the comparer it is given");
        Assert.True(large <= 5 * small + 100, $"work grew from {small} at n={N} to {large} at n={4 * N}: more than linear");
    }

    private static string SetBody(int count, string key)
    {
        var sb = new StringBuilder("public_key=").Append(new string('1', 64)).Append('\n');
        for (int i = 0; i < count; i++) sb.Append(key).Append('=').Append(HostRoute(i)).Append('\n');
        // Name every prefix a second time: a duplicate is where a list scan costs the most.
        for (int i = 0; i < count; i++) sb.Append(key).Append('=').Append(HostRoute(i)).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public void UapiAllowedIpLinesParseInLinearWork() => AssertLinear(n =>
    {
        string body = SetBody(n, "allowed_ip");
        DeviceUpdate? update = null;
        var comparer = new CountingComparer<IpPrefix>();
        long work = Counted(comparer, () => Assert.True(UapiSetParser.Parse(body, comparer, out update).IsOk));
        Assert.Equal(n, update!.Peers.Single().AddAllowedIps.Count);
        return work;
    });

    [Fact]
    public void UapiRemoveAllowedIpLinesParseInLinearWork() => AssertLinear(n =>
    {
        string body = SetBody(n, "allowed_ip") + SetBody(n, "remove_allowed_ip")[(("public_key=".Length) + 65)..];
        DeviceUpdate? update = null;
        var comparer = new CountingComparer<IpPrefix>();
        long work = Counted(comparer, () => Assert.True(UapiSetParser.Parse(body, comparer, out update).IsOk));
        Assert.Equal(n, update!.Peers.Single().RemoveAllowedIps.Count);
        Assert.Empty(update.Peers.Single().AddAllowedIps);
        return work;
    });

    [Fact]
    public void InsertingMovingAndRemovingPrefixesTakesLinearWork() => AssertLinear(n =>
    {
        var comparer = new CountingComparer<RouteKey>();
        var table = new AllowedIps<Peer>(comparer);
        Peer first = new(), second = new();
        return Counted(comparer, () =>
        {
            for (int i = 0; i < n; i++) table.Insert(HostRoute(i), first);
            for (int i = 0; i < n; i += 2) table.Insert(HostRoute(i), second); // moves half to another peer
            for (int i = 1; i < n; i += 2) table.Remove(HostRoute(i), first);
            Assert.Empty(table.EntriesForPeer(first));
            Assert.Equal(n / 2, table.EntriesForPeer(second).Count());
        });
    });

    /// <summary>
    /// The trie's share: a node holds up to 510 entries and is copied on every change, so inserting
    /// prefixes one by one copies ~2 KB per /32 (256 to a node). InsertRange copies each node once per
    /// batch. Counted as bytes allocated on this thread, not timed.
    /// </summary>
    [Fact]
    public void InsertRangeCopiesEachTrieNodeOncePerBatch()
    {
        var prefixes = Enumerable.Range(0, 65_536).Select(HostRoute).ToArray();
        var table = new AllowedIps<Peer>();
        long before = GC.GetAllocatedBytesForCurrentThread();
        table.InsertRange(prefixes, new Peer());
        long perPrefix = (GC.GetAllocatedBytesForCurrentThread() - before) / prefixes.Length;
        Assert.Equal(prefixes.Length, table.Count);
        Assert.True(perPrefix < 1024, $"{perPrefix} bytes allocated per prefix: trie nodes are being copied per prefix");
    }

    [Fact]
    public void APeersPrefixesKeepTheOrderTheyWereFirstGiven()
    {
        var table = new AllowedIps<Peer>();
        Peer peer = new(), other = new();
        foreach (int i in new[] { 5, 1, 3, 2 }) table.Insert(HostRoute(i), peer);
        table.Insert(HostRoute(1), other);
        table.Insert(HostRoute(5), peer);
        table.Insert(HostRoute(1), peer);
        Assert.Equal([HostRoute(5), HostRoute(3), HostRoute(2), HostRoute(1)], table.EntriesForPeer(peer));
    }
}
