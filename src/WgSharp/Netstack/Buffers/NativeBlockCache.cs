using System.Runtime.InteropServices;

namespace WgSharp.Netstack.Buffers;

/// <summary>
/// A small bounded cache of native memory blocks for the per-connection tables a busy connection needs and an idle one
/// gives back (a buffer's chunk slots, the send scoreboard's ring). Native, not managed, because a connection takes
/// them when its first bytes move: a managed array there would be garbage for the GC to count during the transfer
/// (docs/userspace.md, memory). Blocks are reused by exact size; the cache keeps at most <see cref="MaxBlocks"/> blocks
/// and <see cref="MaxCachedBytes"/> bytes, and frees the rest, so an idle stack holds a bounded amount.
/// </summary>
internal static unsafe class NativeBlockCache
{
    private const int MaxBlocks = 32;
    private const long MaxCachedBytes = 4L << 20;

    private static readonly nint[] Blocks = new nint[MaxBlocks];
    private static readonly nuint[] Sizes = new nuint[MaxBlocks];
    private static int _cachedCount;
    private static long _cachedBytes;
    private static readonly Lock Gate = new();

    /// <summary>
    /// A block of <paramref name="bytes"/> bytes, zeroed if <paramref name="zeroed"/> (else its contents are
    /// unspecified); give it back with <see cref="Return"/> and the same size.
    /// </summary>
    public static void* Rent(nuint bytes, bool zeroed)
    {
        void* block = null;
        lock (Gate)
        {
            for (int i = _cachedCount - 1; i >= 0; i--)
            {
                if (Sizes[i] != bytes) continue;
                block = (void*)Blocks[i];
                _cachedCount--;
                Blocks[i] = Blocks[_cachedCount];
                Sizes[i] = Sizes[_cachedCount];
                Blocks[_cachedCount] = 0;
                _cachedBytes -= (long)bytes;
                break;
            }
        }
        if (block == null) block = NativeMemory.Alloc(bytes);
        if (zeroed) NativeMemory.Clear(block, bytes);
        return block;
    }

    /// <summary>Gives back a block from <see cref="Rent"/>: cached if there is room, freed otherwise.</summary>
    public static void Return(void* block, nuint bytes)
    {
        lock (Gate)
        {
            if (_cachedCount < MaxBlocks && _cachedBytes + (long)bytes <= MaxCachedBytes)
            {
                Blocks[_cachedCount] = (nint)block;
                Sizes[_cachedCount] = bytes;
                _cachedCount++;
                _cachedBytes += (long)bytes;
                return;
            }
        }
        NativeMemory.Free(block);
    }
}
