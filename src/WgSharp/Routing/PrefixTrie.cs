using System.Numerics;
using System.Runtime.CompilerServices;

namespace WgSharp.Routing;

/// <summary>
/// Longest-prefix-match table for one address family, keyed by 128-bit big-endian numbers
/// (IPv4 uses the top 32 bits). A path-compressed trie with an 8-bit stride: at most 4 node
/// visits for IPv4 and 16 for IPv6, and chains of single-child nodes are skipped, so a /128 of a
/// lone peer costs one node rather than sixteen.
/// <para>
/// Concurrency: <see cref="Lookup"/> may run on any number of threads at once with one writer
/// (callers serialise <see cref="Insert"/> and <see cref="Remove"/>). Each mutation builds the nodes
/// it changes and publishes them with a single reference store, so a reader sees the table either
/// before or after the mutation, never half of it.
/// </para>
/// </summary>
internal sealed class PrefixTrie<TPeer> where TPeer : class
{
    private const int MaxDepth = 17;

    private TrieNode<TPeer> _root = TrieNode<TPeer>.CreateEmpty(0, 0, 0);

    // Writer-only working state, reused to keep mutations from allocating more than the new nodes.
    private readonly TPeer?[] _scratch = new TPeer?[256];
    private readonly TrieNode<TPeer>[] _path = new TrieNode<TPeer>[MaxDepth];
    private readonly int[] _pathSlots = new int[MaxDepth];
    private int _pathLevel;

    public int MaxBits { get; }

    public PrefixTrie(int maxBits) => MaxBits = maxBits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ByteAt(ulong hi, ulong lo, int depth) =>
        depth < 8 ? (int)(hi >> (56 - 8 * depth)) & 0xFF : (int)(lo >> (56 - 8 * (depth - 8))) & 0xFF;

    /// <summary>The peer owning the longest prefix containing hi:lo, or null. Lock-free, allocation-free.</summary>
    public TPeer? Lookup(ulong hi, ulong lo)
    {
        var node = Volatile.Read(ref _root);
        TrieNode<TPeer>? best = null;
        int bestSlot = 0;
        while (true)
        {
            int slot = ByteAt(hi, lo, node.Depth);
            if (node.CoverMap.Contains(slot)) { best = node; bestSlot = slot; }
            if (!node.ChildMap.Contains(slot)) break;
            var child = node.ChildAt(slot);
            if (!child.Covers(hi, lo)) break;
            node = child;
        }
        // Resolving the peer is deferred to the end so only the winning node's run array is read.
        return best?.PeerAt(bestSlot);
    }

    /// <summary>The current owner of exactly this prefix, or null.</summary>
    public TPeer? Find(ulong hi, ulong lo, int bits)
    {
        var node = FindNode(hi, lo, bits, recordPath: false);
        if (node is null) return null;
        int index = node.FindEntry(RelativeBits(bits), RelativeValue(hi, lo, bits));
        return index >= 0 ? node.Entries[index].Peer : null;
    }

    /// <summary>Maps the prefix (host bits already clear) to <paramref name="peer"/>; returns the previous owner.</summary>
    public TPeer? Insert(ulong hi, ulong lo, int bits, TPeer peer)
    {
        var entry = new TrieEntry<TPeer>(RelativeBits(bits), RelativeValue(hi, lo, bits), peer);
        TPeer? previous = null;
        InsertIntoNode(hi, lo, TargetDepth(bits), new ReadOnlySpan<TrieEntry<TPeer>>(in entry), new Span<TPeer?>(ref previous));
        return previous;
    }

    /// <summary>
    /// Maps every key of this trie's family in <paramref name="keys"/> to <paramref name="peer"/>, as
    /// that many <see cref="Insert"/> calls would, but copying each affected node once rather than once
    /// per key: a node holds up to 510 entries, so key-by-key loading of a million /32s copied ~10^9
    /// entries. <paramref name="previous"/>[i] receives key i's former owner (keys of the other family are skipped).
    /// </summary>
    public void InsertMany(ReadOnlySpan<RouteKey> keys, TPeer peer, Span<TPeer?> previous)
    {
        foreach (var (group, entries) in GroupByNode(keys, peer))
        {
            var first = keys[group[0]];
            var groupPrevious = new TPeer?[group.Length];
            InsertIntoNode(first.Hi, first.Lo, TargetDepth(first.Bits), entries, groupPrevious);
            for (int i = 0; i < group.Length; i++) previous[group[i]] = groupPrevious[i];
        }
    }

    /// <summary>
    /// Removes every key of this trie's family in <paramref name="keys"/> that <paramref name="peer"/> owns,
    /// one copy per affected node (see <see cref="InsertMany"/>). Returns how many were removed.
    /// </summary>
    public int RemoveMany(ReadOnlySpan<RouteKey> keys, TPeer peer)
    {
        int removed = 0;
        foreach (var (group, entries) in GroupByNode(keys, peer))
        {
            var first = keys[group[0]];
            var node = FindNode(first.Hi, first.Lo, first.Bits, recordPath: true);
            if (node is null) continue;
            var kept = new List<TrieEntry<TPeer>>(node.Entries.Length);
            int j = 0;
            foreach (var existing in node.Entries)
            {
                while (j < entries.Length && entries[j].CompareSlot(existing.RelativeBits, existing.RelativeValue) < 0) j++;
                bool named = j < entries.Length && entries[j].CompareSlot(existing.RelativeBits, existing.RelativeValue) == 0;
                if (named && ReferenceEquals(existing.Peer, peer)) removed++;
                else kept.Add(existing);
            }
            if (kept.Count != node.Entries.Length)
                Replace(_pathLevel, node.WithEntries(kept.Count == 0 ? [] : kept.ToArray(), _scratch));
        }
        return removed;
    }

    /// <summary>
    /// Groups the keys of this trie's family by the node that holds them, each group's entries sorted
    /// the way nodes keep them: the keys' indices and their entries for <paramref name="peer"/>.
    /// </summary>
    private IEnumerable<(int[] Indices, TrieEntry<TPeer>[] Entries)> GroupByNode(ReadOnlySpan<RouteKey> keys, TPeer peer)
    {
        bool ipv6 = MaxBits == 128;
        var pending = new List<PendingKey>(keys.Length);
        for (int i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            if (key.IsIPv6 != ipv6) continue;
            int depth = TargetDepth(key.Bits);
            var (nodeHi, nodeLo) = RouteKey.MaskToBits(key.Hi, key.Lo, depth * 8);
            pending.Add(new PendingKey(nodeHi, nodeLo, (byte)depth, RelativeBits(key.Bits), RelativeValue(key.Hi, key.Lo, key.Bits), i));
        }
        var sorted = pending.ToArray();
        Array.Sort(sorted);
        var groups = new List<(int[], TrieEntry<TPeer>[])>();
        for (int start = 0; start < sorted.Length;)
        {
            int end = start + 1;
            while (end < sorted.Length && sorted[end].SameNode(sorted[start])) end++;
            var indices = new int[end - start];
            var entries = new TrieEntry<TPeer>[end - start];
            for (int i = start; i < end; i++)
            {
                indices[i - start] = sorted[i].Index;
                entries[i - start] = new TrieEntry<TPeer>(sorted[i].RelativeBits, sorted[i].RelativeValue, peer);
            }
            groups.Add((indices, entries));
            start = end;
        }
        return groups;
    }

    /// <summary>A key waiting for a batched insert or removal, ordered by node, then as the node orders its entries.</summary>
    private readonly record struct PendingKey(ulong NodeHi, ulong NodeLo, byte Depth, byte RelativeBits, byte RelativeValue, int Index)
        : IComparable<PendingKey>
    {
        public bool SameNode(in PendingKey other) => Depth == other.Depth && NodeHi == other.NodeHi && NodeLo == other.NodeLo;

        public int CompareTo(PendingKey other)
        {
            int c = Depth.CompareTo(other.Depth);
            if (c == 0) c = NodeHi.CompareTo(other.NodeHi);
            if (c == 0) c = NodeLo.CompareTo(other.NodeLo);
            if (c == 0) c = RelativeBits.CompareTo(other.RelativeBits);
            if (c == 0) c = RelativeValue.CompareTo(other.RelativeValue);
            return c == 0 ? Index.CompareTo(other.Index) : c;
        }
    }

    /// <summary>
    /// Puts <paramref name="added"/> (sorted as a node keeps its entries, all below the node at byte
    /// <paramref name="target"/> on the path of hi:lo) into that node, creating it if needed, with one
    /// published change. <paramref name="previous"/>[i] receives entry i's former owner.
    /// </summary>
    private void InsertIntoNode(ulong hi, ulong lo, int target, ReadOnlySpan<TrieEntry<TPeer>> added, Span<TPeer?> previous)
    {
        var node = _root;
        int level = 0;
        _path[0] = node;
        while (node.Depth != target)
        {
            int slot = ByteAt(hi, lo, node.Depth);
            if (!node.ChildMap.Contains(slot))
            {
                Replace(level, node.WithChild(slot, NewNode(hi, lo, target, Merge([], added, previous), null, 0)));
                return;
            }
            var child = node.ChildAt(slot);
            int common = Math.Min(CommonBytes(child.KeyHi, child.KeyLo, hi, lo), child.Depth);
            if (child.Depth <= target && common == child.Depth)
            {
                level++;
                _path[level] = child;
                _pathSlots[level] = slot;
                node = child;
                continue;
            }
            // The child lies off our path or below our target: put a new node where they diverge.
            int splitDepth = Math.Min(common, target);
            int childSlot = ByteAt(child.KeyHi, child.KeyLo, splitDepth);
            TrieNode<TPeer> split;
            if (splitDepth == target)
                split = NewNode(hi, lo, target, Merge([], added, previous), child, childSlot);
            else
                split = NewNode(hi, lo, splitDepth, null, child, childSlot)
                    .WithChild(ByteAt(hi, lo, splitDepth), NewNode(hi, lo, target, Merge([], added, previous), null, 0));
            node.ReplaceChild(slot, split);
            return;
        }

        var merged = Merge(node.Entries, added, previous);
        if (merged is not null) Replace(level, node.WithEntries(merged, _scratch));
    }

    /// <summary>
    /// Merges sorted <paramref name="added"/> entries into a node's sorted <paramref name="existing"/>
    /// ones (an added entry replaces an existing one for the same slot; the last of equal added ones
    /// wins). <paramref name="previous"/>[i] receives the owner entry i displaced. Null when nothing changes.
    /// </summary>
    private static TrieEntry<TPeer>[]? Merge(TrieEntry<TPeer>[] existing, ReadOnlySpan<TrieEntry<TPeer>> added, Span<TPeer?> previous)
    {
        var merged = new TrieEntry<TPeer>[existing.Length + added.Length];
        int m = 0, e = 0;
        bool changed = false;
        for (int a = 0; a < added.Length; a++)
        {
            var entry = added[a];
            while (e < existing.Length && existing[e].CompareSlot(entry.RelativeBits, entry.RelativeValue) < 0) merged[m++] = existing[e++];
            if (e < existing.Length && existing[e].CompareSlot(entry.RelativeBits, entry.RelativeValue) == 0)
            {
                previous[a] = existing[e].Peer;
                changed |= !ReferenceEquals(existing[e].Peer, entry.Peer);
                merged[m++] = entry;
                e++;
            }
            else if (m > 0 && merged[m - 1].CompareSlot(entry.RelativeBits, entry.RelativeValue) == 0)
            {
                previous[a] = merged[m - 1].Peer; // the same slot named twice in one batch
                changed |= !ReferenceEquals(merged[m - 1].Peer, entry.Peer);
                merged[m - 1] = entry;
            }
            else
            {
                previous[a] = null;
                changed = true;
                merged[m++] = entry;
            }
        }
        if (!changed) return null;
        while (e < existing.Length) merged[m++] = existing[e++];
        if (m < merged.Length) Array.Resize(ref merged, m);
        return merged;
    }

    /// <summary>Removes the prefix if <paramref name="peer"/> owns it.</summary>
    public bool Remove(ulong hi, ulong lo, int bits, TPeer peer)
    {
        var node = FindNode(hi, lo, bits, recordPath: true);
        if (node is null) return false;
        int index = node.FindEntry(RelativeBits(bits), RelativeValue(hi, lo, bits));
        if (index < 0 || !ReferenceEquals(node.Entries[index].Peer, peer)) return false;
        var entries = node.Entries.Length == 1 ? [] : new TrieEntry<TPeer>[node.Entries.Length - 1];
        node.Entries.AsSpan(0, index).CopyTo(entries);
        node.Entries.AsSpan(index + 1).CopyTo(entries.AsSpan(index));
        Replace(_pathLevel, node.WithEntries(entries, _scratch));
        return true;
    }

    private TrieNode<TPeer>? FindNode(ulong hi, ulong lo, int bits, bool recordPath)
    {
        int target = TargetDepth(bits);
        var node = _root;
        int level = 0;
        if (recordPath) _path[0] = node;
        while (node.Depth < target)
        {
            int slot = ByteAt(hi, lo, node.Depth);
            if (!node.ChildMap.Contains(slot)) return null;
            var child = node.ChildAt(slot);
            if (child.Depth > target || !child.Covers(hi, lo)) return null;
            level++;
            if (recordPath) { _path[level] = child; _pathSlots[level] = slot; }
            node = child;
        }
        _pathLevel = level;
        return node;
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> (or nothing) where the node at path[level] was, keeping the
    /// invariant that every node but the root holds a prefix or has at least two children. Each call
    /// ends in exactly one published reference store.
    /// </summary>
    private void Replace(int level, TrieNode<TPeer>? replacement)
    {
        while (true)
        {
            if (level == 0)
            {
                Volatile.Write(ref _root, replacement!);
                return;
            }
            if (replacement is not null && replacement.Entries.Length == 0 && replacement.ChildCount <= 1)
                replacement = replacement.ChildCount == 1 ? replacement.SoleChild : null;
            var parent = _path[level - 1];
            int slot = _pathSlots[level];
            if (replacement is not null)
            {
                parent.ReplaceChild(slot, replacement);
                return;
            }
            replacement = parent.WithoutChild(slot);
            level--;
        }
    }

    private TrieNode<TPeer> NewNode(ulong hi, ulong lo, int depth, TrieEntry<TPeer>[]? entries, TrieNode<TPeer>? child, int childSlot)
    {
        var (keyHi, keyLo) = RouteKey.MaskToBits(hi, lo, depth * 8);
        var node = TrieNode<TPeer>.CreateEmpty(keyHi, keyLo, depth);
        if (child is not null) node = node.WithChild(childSlot, child);
        if (entries is not null) node = node.WithEntries(entries, _scratch);
        return node;
    }

    /// <summary>Number of nodes (for tests and memory diagnostics); call under the writer's lock.</summary>
    public int CountNodes()
    {
        int count = 0;
        var stack = new Stack<TrieNode<TPeer>>();
        stack.Push(_root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            count++;
            foreach (var child in node.Children) stack.Push(child);
        }
        return count;
    }

    private static int TargetDepth(int bits) => bits == 0 ? 0 : (bits - 1) >> 3;

    private static byte RelativeBits(int bits) => (byte)(bits - 8 * TargetDepth(bits));

    private static byte RelativeValue(ulong hi, ulong lo, int bits)
    {
        int relativeBits = RelativeBits(bits);
        return relativeBits == 0 ? (byte)0 : (byte)(ByteAt(hi, lo, TargetDepth(bits)) >> (8 - relativeBits));
    }

    /// <summary>How many leading bytes two 128-bit keys share.</summary>
    private static int CommonBytes(ulong aHi, ulong aLo, ulong bHi, ulong bLo)
    {
        ulong x = aHi ^ bHi;
        if (x != 0) return BitOperations.LeadingZeroCount(x) >> 3;
        x = aLo ^ bLo;
        return x != 0 ? 8 + (BitOperations.LeadingZeroCount(x) >> 3) : 16;
    }
}
