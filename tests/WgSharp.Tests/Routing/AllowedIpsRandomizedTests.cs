using System.Buffers.Binary;
using System.Net;
using WgSharp.Configuration;
using WgSharp.Routing;

namespace WgSharp.Tests.Routing;

/// <summary>
/// Drives the trie and a naive linear-scan model with the same random inserts, moves and removals
/// and compares longest-prefix-match answers, per-peer entries and counts.
/// </summary>
public class AllowedIpsRandomizedTests
{
    private sealed class Peer(int id)
    {
        public override string ToString() => $"peer{id}";
    }

    /// <summary>The obviously-correct model: a list scanned in full on every lookup.</summary>
    private sealed class LinearModel
    {
        private readonly Dictionary<(ulong Hi, ulong Lo, int Bits), Peer> _owners = [];

        public int Count => _owners.Count;

        public void Insert(ulong hi, ulong lo, int bits, Peer peer)
        {
            _owners[Mask(hi, lo, bits)] = peer;
            _rows = null;
        }

        public bool Remove(ulong hi, ulong lo, int bits, Peer peer)
        {
            var key = Mask(hi, lo, bits);
            _rows = null;
            return _owners.TryGetValue(key, out var owner) && owner == peer && _owners.Remove(key);
        }

        public void RemoveByPeer(Peer peer)
        {
            _rows = null;
            foreach (var key in _owners.Where(kv => kv.Value == peer).Select(kv => kv.Key).ToList()) _owners.Remove(key);
        }

        public HashSet<(ulong, ulong, int)> EntriesFor(Peer peer) =>
            _owners.Where(kv => kv.Value == peer).Select(kv => kv.Key).ToHashSet();

        private readonly record struct Row(ulong Hi, ulong Lo, ulong MaskHi, ulong MaskLo, int Bits, Peer Peer);

        private Row[]? _rows; // flattened for a faster (still linear) scan; rebuilt after changes

        public Peer? Lookup(ulong hi, ulong lo)
        {
            _rows ??= _owners.Select(kv => new Row(kv.Key.Hi, kv.Key.Lo, Mask(~0UL, ~0UL, kv.Key.Bits).Hi,
                Mask(~0UL, ~0UL, kv.Key.Bits).Lo, kv.Key.Bits, kv.Value)).ToArray();
            Peer? best = null;
            int bestBits = -1;
            foreach (ref readonly var row in _rows.AsSpan())
            {
                if (row.Bits > bestBits && (hi & row.MaskHi) == row.Hi && (lo & row.MaskLo) == row.Lo)
                {
                    best = row.Peer;
                    bestBits = row.Bits;
                }
            }
            return best;
        }

        public static (ulong Hi, ulong Lo, int Bits) Mask(ulong hi, ulong lo, int bits)
        {
            ulong mHi = bits >= 64 ? ~0UL : bits == 0 ? 0 : ~0UL << (64 - bits);
            ulong mLo = bits >= 128 ? ~0UL : bits <= 64 ? 0 : ~0UL << (128 - bits);
            return (hi & mHi, lo & mLo, bits);
        }
    }

    /// <summary>
    /// Random addresses clustered around a few anchors so prefixes nest and collide. Anchors lie in
    /// the lower half of the address space and stored prefixes are confined there (see
    /// <see cref="ConfineToLowerHalf"/>), so fully random lookups include guaranteed misses.
    /// </summary>
    private sealed class AddressSource(Random rng, int maxBits)
    {
        private readonly (ulong Hi, ulong Lo)[] _anchors = Enumerable.Range(0, 6).Select(_ => ConfineToLowerHalf(Normalize(NextRaw(rng), maxBits))).ToArray();

        public (ulong Hi, ulong Lo) Next()
        {
            if (rng.Next(10) == 0) return Normalize(NextRaw(rng), maxBits);
            var (hi, lo) = _anchors[rng.Next(_anchors.Length)];
            // Keep a random number of the anchor's leading bits and randomise the rest.
            int keep = rng.Next(maxBits + 1);
            var (rHi, rLo) = Normalize(NextRaw(rng), maxBits);
            var (kHi, kLo, _) = LinearModel.Mask(hi, lo, keep);
            var (xHi, xLo, _) = LinearModel.Mask(rHi, rLo, keep);
            return (kHi | (rHi ^ xHi), kLo | (rLo ^ xLo));
        }

        public int NextBits()
        {
            // Favour long prefixes (as in real configurations) but cover every length.
            int r = rng.Next(4);
            // Never /0 (tested on its own): every prefix stays inside the lower half.
            return r == 0 ? rng.Next(1, maxBits + 1) : maxBits - rng.Next(Math.Min(maxBits, 24) + 1);
        }

        public static (ulong Hi, ulong Lo) ConfineToLowerHalf((ulong Hi, ulong Lo) v) => (v.Hi & ~(1UL << 63), v.Lo);

        private static (ulong, ulong) NextRaw(Random rng) => ((ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63), (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63));

        private static (ulong, ulong) Normalize((ulong Hi, ulong Lo) v, int maxBits) => maxBits == 32 ? (v.Hi & 0xFFFFFFFF00000000UL, 0UL) : v;
    }

    private static IpPrefix ToPrefix(ulong hi, ulong lo, int bits, int maxBits)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, hi);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], lo);
        return new IpPrefix(new IPAddress(bytes[..(maxBits / 8)]), bits);
    }

    private static Peer? TableLookup(AllowedIps<Peer> table, ulong hi, ulong lo, int maxBits, bool viaBytes)
    {
        if (!viaBytes) return maxBits == 32 ? table.LookupIPv4((uint)(hi >> 32)) : table.LookupIPv6(hi, lo);
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, hi);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], lo);
        return table.Lookup(bytes[..(maxBits / 8)]);
    }

    private static void CompareLookups(AllowedIps<Peer> table, LinearModel model, AddressSource source, Random rng, int maxBits, int count)
    {
        int matched = 0;
        for (int i = 0; i < count; i++)
        {
            var (hi, lo) = source.Next();
            var expected = model.Lookup(hi, lo);
            var actual = TableLookup(table, hi, lo, maxBits, viaBytes: rng.Next(2) == 0);
            if (!ReferenceEquals(expected, actual))
                Assert.Fail($"lookup {ToPrefix(hi, lo, maxBits, maxBits)}: expected {expected?.ToString() ?? "none"}, got {actual?.ToString() ?? "none"}");
            if (expected is not null) matched++;
        }
        // Guard against a vacuous comparison in which nothing ever matches.
        Assert.True(matched > count / 10, $"only {matched} of {count} lookups matched anything");
        Assert.True(matched < count, "every lookup matched: the misses are not being exercised");
    }

    private static void CompareEntries(AllowedIps<Peer> table, LinearModel model, Peer[] peers, int maxBits)
    {
        Assert.Equal(model.Count, table.Count);
        foreach (var peer in peers)
        {
            var expected = model.EntriesFor(peer).Select(k => ToPrefix(k.Item1, k.Item2, k.Item3, maxBits)).ToHashSet();
            var actual = table.EntriesForPeer(peer).ToList();
            Assert.Equal(actual.Count, actual.Distinct().Count());
            Assert.True(expected.SetEquals(actual), $"entries of {peer} differ");
        }
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(32, 2)]
    [InlineData(128, 3)]
    [InlineData(128, 4)]
    public void MatchesLinearReference(int maxBits, int seed)
    {
        var rng = new Random(seed);
        var source = new AddressSource(rng, maxBits);
        var peers = Enumerable.Range(0, 40).Select(i => new Peer(i)).ToArray();
        var table = new AllowedIps<Peer>();
        var model = new LinearModel();
        var inserted = new List<(ulong Hi, ulong Lo, int Bits)>();

        for (int i = 0; i < 20_000; i++)
        {
            var (hi, lo) = AddressSource.ConfineToLowerHalf(source.Next());
            int bits = source.NextBits();
            var peer = peers[rng.Next(peers.Length)];
            table.Insert(ToPrefix(hi, lo, bits, maxBits), peer); // host bits deliberately left in
            model.Insert(hi, lo, bits, peer);
            inserted.Add((hi, lo, bits));
        }
        CompareLookups(table, model, source, rng, maxBits, 4_000);
        CompareEntries(table, model, peers, maxBits);

        // Removals, both by the owner and (refused) by someone else, plus moves between peers.
        for (int i = 0; i < 12_000; i++)
        {
            var (hi, lo, bits) = inserted[rng.Next(inserted.Count)];
            var peer = peers[rng.Next(peers.Length)];
            if (rng.Next(3) == 0)
            {
                table.Insert(ToPrefix(hi, lo, bits, maxBits), peer);
                model.Insert(hi, lo, bits, peer);
            }
            else
            {
                var owner = table.OwnerOf(ToPrefix(hi, lo, bits, maxBits));
                if (owner is not null && rng.Next(4) != 0) peer = owner;
                Assert.Equal(model.Remove(hi, lo, bits, peer), table.Remove(ToPrefix(hi, lo, bits, maxBits), peer));
            }
        }
        CompareLookups(table, model, source, rng, maxBits, 4_000);
        CompareEntries(table, model, peers, maxBits);

        for (int i = 0; i < peers.Length / 2; i++)
        {
            table.RemoveByPeer(peers[i]);
            model.RemoveByPeer(peers[i]);
        }
        CompareLookups(table, model, source, rng, maxBits, 4_000);
        CompareEntries(table, model, peers, maxBits);

        foreach (var peer in peers) table.RemoveByPeer(peer);
        Assert.Equal(0, table.Count);
        Assert.Equal(2, table.NodeCount);
    }

    /// <summary>
    /// InsertRange (one node copy per batch) against Insert one prefix at a time: random batches with
    /// duplicates, nesting prefixes and moves between peers give the same lookups, the same per-peer
    /// entries in the same order, the same counts and the same trie; RemoveByPeer (batched) empties it.
    /// </summary>
    [Theory]
    [InlineData(32, 11)]
    [InlineData(128, 12)]
    public void InsertRangeMatchesInsertingOneAtATime(int maxBits, int seed)
    {
        var rng = new Random(seed);
        var source = new AddressSource(rng, maxBits);
        var peers = Enumerable.Range(0, 12).Select(i => new Peer(i)).ToArray();
        var batched = new AllowedIps<Peer>();
        var single = new AllowedIps<Peer>();
        var model = new LinearModel();
        var used = new List<(ulong Hi, ulong Lo, int Bits)>();

        for (int batch = 0; batch < 300; batch++)
        {
            var peer = peers[rng.Next(peers.Length)];
            var prefixes = new List<IpPrefix>();
            int size = rng.Next(1, 120);
            for (int i = 0; i < size; i++)
            {
                var (hi, lo, bits) = used.Count > 0 && rng.Next(4) == 0
                    ? used[rng.Next(used.Count)] // a prefix seen before: a duplicate or a move from another peer
                    : (AddressSource.ConfineToLowerHalf(source.Next()) is var (h, l) ? (h, l, source.NextBits()) : default);
                used.Add((hi, lo, bits));
                prefixes.Add(ToPrefix(hi, lo, bits, maxBits));
                model.Insert(hi, lo, bits, peer);
            }
            batched.InsertRange(prefixes, peer);
            foreach (var prefix in prefixes) single.Insert(prefix, peer);
        }
        CompareLookups(batched, model, source, rng, maxBits, 4_000);
        CompareEntries(batched, model, peers, maxBits);
        Assert.Equal(single.Count, batched.Count);
        Assert.Equal(single.NodeCount, batched.NodeCount);
        foreach (var peer in peers) Assert.Equal(single.EntriesForPeer(peer), batched.EntriesForPeer(peer));

        for (int i = 0; i < peers.Length / 2; i++)
        {
            batched.RemoveByPeer(peers[i]);
            model.RemoveByPeer(peers[i]);
        }
        CompareLookups(batched, model, source, rng, maxBits, 4_000);
        CompareEntries(batched, model, peers, maxBits);
        batched.Clear();
        Assert.Equal(0, batched.Count);
        Assert.Equal(2, batched.NodeCount);
    }
}
