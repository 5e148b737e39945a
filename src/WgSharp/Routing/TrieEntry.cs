namespace WgSharp.Routing;

/// <summary>
/// A prefix stored in a trie node, relative to that node's byte: it covers the byte values whose
/// top <see cref="RelativeBits"/> bits equal <see cref="RelativeValue"/>.
/// </summary>
internal readonly struct TrieEntry<TPeer>(byte relativeBits, byte relativeValue, TPeer peer) where TPeer : class
{
    public readonly TPeer Peer = peer;
    public readonly byte RelativeBits = relativeBits;
    public readonly byte RelativeValue = relativeValue;

    public int FirstSlot => RelativeValue << (8 - RelativeBits);
    public int SlotCount => 1 << (8 - RelativeBits);

    /// <summary>Orders shorter prefixes first, so painting in order lets longer ones win.</summary>
    public int CompareSlot(byte relativeBits, byte relativeValue) =>
        RelativeBits != relativeBits ? RelativeBits.CompareTo(relativeBits) : RelativeValue.CompareTo(relativeValue);
}
