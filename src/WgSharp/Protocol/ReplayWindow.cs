using System.Runtime.CompilerServices;

namespace WgSharp.Protocol;

/// <summary>
/// Anti-replay filter for transport-data counters (RFC 6479 style): a ring of 64-bit blocks in which
/// bit n records that counter n was accepted. Moving forward clears whole blocks instead of shifting
/// bits, so every call costs O(1) apart from clearing at most <see cref="BlockCount"/> words.
/// <para>
/// Not thread-safe: the caller serialises calls for a keypair (it holds the keypair's lock).
/// </para>
/// </summary>
internal sealed class ReplayWindow
{
    private const int BlockBits = 64;
    private const int BlockCount = 128;
    private const int BlockMask = BlockCount - 1;

    /// <summary>
    /// How far behind the highest accepted counter a counter may be and still be accepted. One block
    /// of the ring is given up because it is the one being reused as the window advances.
    /// </summary>
    public const ulong WindowSize = (BlockCount - 1) * BlockBits;

    [InlineArray(BlockCount)]
    private struct Blocks { private ulong _e; }

    private Blocks _blocks;
    // Highest counter accepted so far (0 before any: the bitmap then tells counter 0 apart).
    private ulong _highest;

    /// <summary>
    /// Accepts a counter the first time it is seen, if it is below <paramref name="limit"/> and not more
    /// than <see cref="WindowSize"/> - 1 behind the highest counter accepted so far.
    /// </summary>
    public bool TryAccept(ulong counter, ulong limit)
    {
        if (counter >= limit) return false;
        ulong block = counter / BlockBits;
        if (counter > _highest)
        {
            ulong highestBlock = _highest / BlockBits;
            ulong advance = Math.Min(block - highestBlock, BlockCount);
            for (ulong i = 1; i <= advance; i++)
                _blocks[(int)((highestBlock + i) & BlockMask)] = 0;
            _highest = counter;
        }
        else if (_highest - counter >= WindowSize)
        {
            return false;
        }
        ref ulong word = ref _blocks[(int)(block & BlockMask)];
        ulong bit = 1UL << (int)(counter % BlockBits);
        if ((word & bit) != 0) return false;
        word |= bit;
        return true;
    }

    /// <summary>Forgets every counter (for a new keypair).</summary>
    public void Reset()
    {
        ((Span<ulong>)_blocks).Clear();
        _highest = 0;
    }
}
