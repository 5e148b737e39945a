using System.Numerics;
using System.Runtime.CompilerServices;

namespace WgSharp.Routing;

/// <summary>
/// An immutable set of byte values (0..255) as four 64-bit words. Used by trie nodes to map a byte
/// of the address to a position in a compact array: the position is the number of set bits below
/// it, so a node with three children stores three references instead of 256.
/// </summary>
internal readonly struct Bitmap256
{
    private readonly ulong _w0, _w1, _w2, _w3;

    private Bitmap256(ulong w0, ulong w1, ulong w2, ulong w3) { _w0 = w0; _w1 = w1; _w2 = w2; _w3 = w3; }

    /// <summary>Builds a set from four words (bit i of word w stands for the value 64*w + i).</summary>
    public static Bitmap256 FromWords(ReadOnlySpan<ulong> words) => new(words[0], words[1], words[2], words[3]);

    public bool IsEmpty => (_w0 | _w1 | _w2 | _w3) == 0;

    public int Count =>
        BitOperations.PopCount(_w0) + BitOperations.PopCount(_w1) + BitOperations.PopCount(_w2) + BitOperations.PopCount(_w3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int value) => ((Word(value >> 6) >> (value & 63)) & 1) != 0;

    /// <summary>Number of members strictly smaller than <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CountBelow(int value) => CountMasked(value >> 6, (1UL << (value & 63)) - 1);

    /// <summary>Number of members smaller than or equal to <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CountThrough(int value) => CountMasked(value >> 6, ~0UL >> (63 - (value & 63)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CountMasked(int word, ulong below)
    {
        return word switch
        {
            0 => BitOperations.PopCount(_w0 & below),
            1 => BitOperations.PopCount(_w0) + BitOperations.PopCount(_w1 & below),
            2 => BitOperations.PopCount(_w0) + BitOperations.PopCount(_w1) + BitOperations.PopCount(_w2 & below),
            _ => BitOperations.PopCount(_w0) + BitOperations.PopCount(_w1) + BitOperations.PopCount(_w2) +
                 BitOperations.PopCount(_w3 & below),
        };
    }

    /// <summary>The smallest member; the set must not be empty.</summary>
    public int First()
    {
        if (_w0 != 0) return BitOperations.TrailingZeroCount(_w0);
        if (_w1 != 0) return 64 + BitOperations.TrailingZeroCount(_w1);
        if (_w2 != 0) return 128 + BitOperations.TrailingZeroCount(_w2);
        if (_w3 != 0) return 192 + BitOperations.TrailingZeroCount(_w3);
        throw new InvalidOperationException("empty bitmap");
    }

    public Bitmap256 With(int value) => Apply(value, add: true);

    public Bitmap256 Without(int value) => Apply(value, add: false);

    private Bitmap256 Apply(int value, bool add)
    {
        ulong w0 = _w0, w1 = _w1, w2 = _w2, w3 = _w3;
        ref ulong w = ref w0;
        switch (value >> 6)
        {
            case 1: w = ref w1; break;
            case 2: w = ref w2; break;
            case 3: w = ref w3; break;
        }
        ulong bit = 1UL << (value & 63);
        w = add ? w | bit : w & ~bit;
        return new Bitmap256(w0, w1, w2, w3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Word(int index) => index switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
}
