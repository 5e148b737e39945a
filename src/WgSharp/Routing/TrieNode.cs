using System.Runtime.CompilerServices;

namespace WgSharp.Routing;

/// <summary>
/// One node of the path-compressed, 8-bit-stride trie. It dispatches on byte <see cref="Depth"/>
/// of the address; every address below it shares the leading <see cref="Depth"/> bytes stored in
/// <see cref="KeyHi"/>:<see cref="KeyLo"/> (checked on the way down because intermediate bytes may
/// have been skipped). It holds the prefixes whose length lies in (8*Depth, 8*Depth+8] (the root
/// also holds /0), pre-expanded into runs of equal peers over the 256 byte values so a lookup in a
/// node is a couple of popcounts.
/// <para>
/// Immutable once published, except that a slot of <see cref="_children"/> may be overwritten by a
/// replacement child covering the same slot; every other change builds a new node. That is what lets
/// lookups run without locks: a reader always sees either the old or the new version of a node.
/// </para>
/// </summary>
internal sealed class TrieNode<TPeer> where TPeer : class
{
    private static readonly TrieNode<TPeer>[] NoChildren = [];
    private static readonly TPeer[] NoRuns = [];
    private static readonly TrieEntry<TPeer>[] NoEntries = [];

    public readonly ulong KeyHi, KeyLo;
    public readonly int Depth;
    /// <summary>Byte values that have a child node.</summary>
    public readonly Bitmap256 ChildMap;
    /// <summary>Byte values covered by some prefix held in this node.</summary>
    public readonly Bitmap256 CoverMap;
    /// <summary>Covered byte values where a run of the same peer starts.</summary>
    public readonly Bitmap256 RunMap;
    private readonly TrieNode<TPeer>[] _children;
    /// <summary>The peer of the first run, kept inline so single-run nodes (most leaves) need no array.</summary>
    private readonly TPeer? _firstRun;
    /// <summary>Every run's peer when there is more than one run; otherwise empty.</summary>
    private readonly TPeer[] _runs;
    /// <summary>The prefixes held here, sorted by (RelativeBits, RelativeValue); control plane only.</summary>
    public readonly TrieEntry<TPeer>[] Entries;

    private TrieNode(ulong keyHi, ulong keyLo, int depth, Bitmap256 childMap, TrieNode<TPeer>[] children,
        TrieEntry<TPeer>[] entries, Bitmap256 coverMap, Bitmap256 runMap, TPeer? firstRun, TPeer[] runs)
    {
        KeyHi = keyHi; KeyLo = keyLo; Depth = depth;
        ChildMap = childMap; _children = children;
        Entries = entries; CoverMap = coverMap; RunMap = runMap; _firstRun = firstRun; _runs = runs;
    }

    public static TrieNode<TPeer> CreateEmpty(ulong keyHi, ulong keyLo, int depth) =>
        new(keyHi, keyLo, depth, default, NoChildren, NoEntries, default, default, null, NoRuns);

    public int ChildCount => _children.Length;

    /// <summary>Whether an address lies below this node (its first <see cref="Depth"/> bytes match).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Covers(ulong hi, ulong lo)
    {
        int depth = Depth;
        if (depth <= 8)
            return depth == 0 || ((hi ^ KeyHi) >> (64 - 8 * depth)) == 0;
        return hi == KeyHi && ((lo ^ KeyLo) >> (128 - 8 * depth)) == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TrieNode<TPeer> ChildAt(int slot) => _children[ChildMap.CountBelow(slot)];

    /// <summary>The peer for a slot known to be in <see cref="CoverMap"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TPeer PeerAt(int slot)
    {
        int run = RunMap.CountThrough(slot) - 1;
        return run == 0 ? _firstRun! : _runs[run];
    }

    public TrieNode<TPeer> SoleChild => _children[0];

    public IEnumerable<TrieNode<TPeer>> Children => _children;

    /// <summary>Publishes a replacement for an existing child; readers see the old or the new one.</summary>
    public void ReplaceChild(int slot, TrieNode<TPeer> child) =>
        Volatile.Write(ref _children[ChildMap.CountBelow(slot)], child);

    public TrieNode<TPeer> WithChild(int slot, TrieNode<TPeer> child)
    {
        int index = ChildMap.CountBelow(slot);
        var children = new TrieNode<TPeer>[_children.Length + 1];
        _children.AsSpan(0, index).CopyTo(children);
        children[index] = child;
        _children.AsSpan(index).CopyTo(children.AsSpan(index + 1));
        return new(KeyHi, KeyLo, Depth, ChildMap.With(slot), children, Entries, CoverMap, RunMap, _firstRun, _runs);
    }

    public TrieNode<TPeer> WithoutChild(int slot)
    {
        int index = ChildMap.CountBelow(slot);
        var children = _children.Length == 1 ? NoChildren : new TrieNode<TPeer>[_children.Length - 1];
        _children.AsSpan(0, index).CopyTo(children);
        _children.AsSpan(index + 1).CopyTo(children.AsSpan(index));
        return new(KeyHi, KeyLo, Depth, ChildMap.Without(slot), children, Entries, CoverMap, RunMap, _firstRun, _runs);
    }

    /// <summary>Index of the entry for a relative prefix, or the bitwise complement of where it would go.</summary>
    public int FindEntry(byte relativeBits, byte relativeValue)
    {
        int low = 0, high = Entries.Length - 1;
        while (low <= high)
        {
            int mid = (low + high) >>> 1;
            int c = Entries[mid].CompareSlot(relativeBits, relativeValue);
            if (c == 0) return mid;
            if (c < 0) low = mid + 1; else high = mid - 1;
        }
        return ~low;
    }

    /// <summary>A copy holding <paramref name="entries"/> instead, sharing the children.</summary>
    /// <param name="entries">The new entries, sorted as <see cref="Entries"/> is.</param>
    /// <param name="scratch">256 slots of working space, owned by the (single) writer.</param>
    public TrieNode<TPeer> WithEntries(TrieEntry<TPeer>[] entries, TPeer?[] scratch)
    {
        var (coverMap, runMap, runs) = Expand(entries, scratch);
        var firstRun = runs.Length > 0 ? runs[0] : null;
        if (runs.Length == 1) runs = NoRuns;
        return new(KeyHi, KeyLo, Depth, ChildMap, _children, entries, coverMap, runMap, firstRun, runs);
    }

    /// <summary>
    /// Paints each entry over the 256 byte values, shorter prefixes first so longer ones overwrite
    /// them, then records where runs of the same peer start.
    /// </summary>
    private static (Bitmap256 CoverMap, Bitmap256 RunMap, TPeer[] Runs) Expand(TrieEntry<TPeer>[] entries, TPeer?[] scratch)
    {
        if (entries.Length == 0) return (default, default, NoRuns);
        Array.Clear(scratch);
        foreach (var entry in entries)
            scratch.AsSpan(entry.FirstSlot, entry.SlotCount).Fill(entry.Peer);
        Span<ulong> cover = stackalloc ulong[4];
        Span<ulong> runStarts = stackalloc ulong[4];
        cover.Clear();
        runStarts.Clear();
        int runCount = 0;
        TPeer? previous = null;
        for (int slot = 0; slot < 256; slot++)
        {
            var peer = scratch[slot];
            if (peer is not null)
            {
                cover[slot >> 6] |= 1UL << (slot & 63);
                if (!ReferenceEquals(previous, peer)) { runStarts[slot >> 6] |= 1UL << (slot & 63); runCount++; }
            }
            previous = peer;
        }
        var runs = new TPeer[runCount];
        int next = 0;
        for (int slot = 0; slot < 256; slot++)
            if ((runStarts[slot >> 6] & (1UL << (slot & 63))) != 0) runs[next++] = scratch[slot]!;
        var coverMap = Bitmap256.FromWords(cover);
        var runMap = Bitmap256.FromWords(runStarts);
        return (coverMap, runMap, runs);
    }
}
