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
        int target = TargetDepth(bits);
        var entry = new TrieEntry<TPeer>(RelativeBits(bits), RelativeValue(hi, lo, bits), peer);
        var node = _root;
        int level = 0;
        _path[0] = node;
        while (node.Depth != target)
        {
            int slot = ByteAt(hi, lo, node.Depth);
            if (!node.ChildMap.Contains(slot))
            {
                Replace(level, node.WithChild(slot, NewNode(hi, lo, target, entry, null, 0)));
                return null;
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
                split = NewNode(hi, lo, target, entry, child, childSlot);
            else
                split = NewNode(hi, lo, splitDepth, null, child, childSlot)
                    .WithChild(ByteAt(hi, lo, splitDepth), NewNode(hi, lo, target, entry, null, 0));
            node.ReplaceChild(slot, split);
            return null;
        }

        int index = node.FindEntry(entry.RelativeBits, entry.RelativeValue);
        TrieEntry<TPeer>[] entries;
        TPeer? previous = null;
        if (index >= 0)
        {
            previous = node.Entries[index].Peer;
            if (ReferenceEquals(previous, peer)) return previous;
            entries = (TrieEntry<TPeer>[])node.Entries.Clone();
            entries[index] = entry;
        }
        else
        {
            index = ~index;
            entries = new TrieEntry<TPeer>[node.Entries.Length + 1];
            node.Entries.AsSpan(0, index).CopyTo(entries);
            entries[index] = entry;
            node.Entries.AsSpan(index).CopyTo(entries.AsSpan(index + 1));
        }
        Replace(level, node.WithEntries(entries, _scratch));
        return previous;
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

    private TrieNode<TPeer> NewNode(ulong hi, ulong lo, int depth, TrieEntry<TPeer>? entry, TrieNode<TPeer>? child, int childSlot)
    {
        var (keyHi, keyLo) = RouteKey.MaskToBits(hi, lo, depth * 8);
        var node = TrieNode<TPeer>.CreateEmpty(keyHi, keyLo, depth);
        if (child is not null) node = node.WithChild(childSlot, child);
        if (entry is { } e) node = node.WithEntries([e], _scratch);
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
