using System.Net;
using BenchmarkDotNet.Attributes;
using WgSharp.Configuration;
using WgSharp.Routing;

namespace WgSharp.Bench;

/// <summary>
/// Longest-prefix lookups in a table of 1,000,000 random prefixes spread over 10,000 peers.
/// IPv4 lengths are uniform in /16../32 and IPv6 lengths in /16../128 (duplicates collapse, see
/// the setup line for the resulting count). "Random" looks up uniformly random addresses (mostly
/// resolved near the top of the trie); "Hit" looks up random addresses inside stored prefixes, as
/// a data plane routing to known peers does.
/// </summary>
[MemoryDiagnoser]
public class AllowedIpsBenchmarks
{
    private const int PrefixCount = 1_000_000;
    private const int PeerCount = 10_000;
    private const int AddressCount = 1 << 16;
    private const int LookupsPerInvoke = 4096;

    public enum Family { IPv4, IPv6 }
    public enum Addresses { Random, Hit }

    [Params(Family.IPv4, Family.IPv6)]
    public Family AddressFamily { get; set; }

    [Params(Addresses.Random, Addresses.Hit)]
    public Addresses Targets { get; set; }

    private AllowedIps<object> _table = null!;
    private byte[] _addresses = null!;
    private int _addressLength;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var peers = Enumerable.Range(0, PeerCount).Select(_ => new object()).ToArray();
        _table = new AllowedIps<object>();
        _addressLength = AddressFamily == Family.IPv4 ? 4 : 16;
        int maxBits = _addressLength * 8;
        var stored = new List<IpPrefix>(PrefixCount);
        var bytes = new byte[_addressLength];
        for (int i = 0; i < PrefixCount; i++)
        {
            rng.NextBytes(bytes);
            var prefix = new IpPrefix(new IPAddress(bytes), rng.Next(16, maxBits + 1));
            _table.Insert(prefix, peers[i % PeerCount]);
            stored.Add(prefix);
        }

        _addresses = new byte[AddressCount * _addressLength];
        rng.NextBytes(_addresses);
        if (Targets == Addresses.Hit)
        {
            // Keep each stored prefix's network bits and randomise only its host bits.
            for (int i = 0; i < AddressCount; i++)
            {
                var prefix = stored[rng.Next(stored.Count)];
                var network = prefix.Address.GetAddressBytes();
                var slot = _addresses.AsSpan(i * _addressLength, _addressLength);
                for (int b = 0; b < _addressLength; b++)
                {
                    int keep = Math.Clamp(prefix.Bits - b * 8, 0, 8);
                    byte mask = (byte)(0xFF << (8 - keep));
                    slot[b] = (byte)((network[b] & mask) | (slot[b] & ~mask));
                }
            }
        }
        int found = 0;
        for (int i = 0; i < AddressCount; i++)
            if (_table.Lookup(_addresses.AsSpan(i * _addressLength, _addressLength)) is not null) found++;
        Console.WriteLine($"// {AddressFamily}: {_table.Count} prefixes, {_table.NodeCount} nodes, " +
            $"{100.0 * found / AddressCount:F1}% of {Targets} lookups match");
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int Lookup()
    {
        int found = 0, length = _addressLength, next = _next;
        var addresses = _addresses;
        for (int i = 0; i < LookupsPerInvoke; i++)
        {
            if (_table.Lookup(addresses.AsSpan(next * length, length)) is not null) found++;
            next = (next + 1) & (AddressCount - 1);
        }
        _next = next;
        return found;
    }
}
