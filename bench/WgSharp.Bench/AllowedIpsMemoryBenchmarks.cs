using System.Net;
using BenchmarkDotNet.Attributes;
using WgSharp.Configuration;
using WgSharp.Routing;

namespace WgSharp.Bench;

/// <summary>
/// Retained memory of the routing table for 100,000 peers, each with one IPv4 /32 and one IPv6
/// /128, measured as the GC heap growth across building the table (printed from the setup, since
/// BenchmarkDotNet's allocation column counts garbage too). "Sequential" numbers peers from one
/// tunnel subnet as real deployments do; "Scattered" gives them random addresses (worst case:
/// every prefix in its own node). The benchmark body is a lookup in that table.
/// </summary>
[MemoryDiagnoser]
public class AllowedIpsMemoryBenchmarks
{
    private const int PeerCount = 100_000;

    public enum Layout { Sequential, Scattered }

    [Params(Layout.Sequential, Layout.Scattered)]
    public Layout Addresses { get; set; }

    private AllowedIps<object> _table = null!;
    private object[] _peers = null!;
    private byte[] _probe = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Peers and prefixes exist before the measurement: only the table's own memory is counted.
        _peers = Enumerable.Range(0, PeerCount).Select(_ => new object()).ToArray();
        var (v4, v6) = MakePrefixes(Addresses);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        _table = new AllowedIps<object>();
        for (int i = 0; i < PeerCount; i++)
        {
            _table.Insert(v4[i], _peers[i]);
            _table.Insert(v6[i], _peers[i]);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// {Addresses}: {PeerCount} peers, {_table.Count} prefixes, {_table.NodeCount} nodes, " +
            $"{after - before} bytes retained = {(double)(after - before) / PeerCount:F0} bytes per peer");
        _probe = v6[PeerCount / 2].Address.GetAddressBytes();
        GC.KeepAlive(v4);
    }

    private static (IpPrefix[] V4, IpPrefix[] V6) MakePrefixes(Layout layout)
    {
        var rng = new Random(5);
        var v4 = new IpPrefix[PeerCount];
        var v6 = new IpPrefix[PeerCount];
        var seen4 = new HashSet<IPAddress>();
        var seen6 = new HashSet<IPAddress>();
        for (int i = 0; i < PeerCount; i++)
        {
            byte[] a4, a6;
            do
            {
                a4 = layout == Layout.Sequential ? [10, (byte)(i >> 16), (byte)(i >> 8), (byte)i] : RandomBytes(rng, 4);
            } while (!seen4.Add(new IPAddress(a4)));
            do
            {
                a6 = RandomBytes(rng, 16);
                if (layout == Layout.Sequential)
                {
                    Array.Clear(a6);
                    a6[0] = 0xfd; a6[13] = (byte)(i >> 16); a6[14] = (byte)(i >> 8); a6[15] = (byte)i;
                }
            } while (!seen6.Add(new IPAddress(a6)));
            v4[i] = new IpPrefix(new IPAddress(a4), 32);
            v6[i] = new IpPrefix(new IPAddress(a6), 128);
        }
        return (v4, v6);
    }

    private static byte[] RandomBytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    [Benchmark]
    public object? Lookup() => _table.Lookup(_probe);
}
