using System.Numerics;
using System.Runtime.InteropServices;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// The fixed-size byte chunks TCP buffers are made of, carved from native slabs of <see cref="ChunksPerSlab"/> chunks
/// (<see cref="Shared"/> for every connection of the process; tests make their own). Buffers take chunks only while
/// they hold bytes, so an idle connection holds none, and a busy stack reuses them. Native memory, not managed arrays:
/// a connection's first megabytes would otherwise be gen0 garbage and cost a collection per transfer, and pinned (POH)
/// arrays count against the large-object budget and cost a gen2 collection past ~3 MB (docs/userspace.md, Memory).
/// Bounded: at most a set number of slabs (64 MiB for <see cref="Shared"/>); past that, chunks are allocated one by one
/// and freed when returned, so the cap bounds what is kept and the connection and buffer limits bound what is in use.
/// A slab that becomes wholly free is freed once enough wholly free slabs are kept (4 for <see cref="Shared"/>), so an
/// idle stack gives memory back.
/// </summary>
internal sealed unsafe class ChunkPool
{
    public const int ChunkSize = 16 * 1024;
    public const int ChunksPerSlab = 64; // one bit each in a ulong
    public const int SlabSize = ChunkSize * ChunksPerSlab;
    private const ulong AllFree = ulong.MaxValue;

    /// <summary>The pool of every TCP buffer of the process: 64 slabs (64 MiB) at most, 4 wholly free ones kept.</summary>
    public static readonly ChunkPool Shared = new(maxSlabs: 64, keepFreeSlabs: 4);

    private readonly int _maxSlabs;
    private readonly int _keepFreeSlabs;
    private readonly nint[] _slabBase;   // 0: no slab in this slot
    private readonly ulong[] _freeMask;  // bit i set: chunk i of the slab is free
    private int _freeSlabs;              // slabs whose every chunk is free
    private int _slabs;
    private long _chunksOut;
    private long _overflowOut;
    private readonly Lock _gate = new();

    /// <summary>A pool of at most <paramref name="maxSlabs"/> slabs that keeps <paramref name="keepFreeSlabs"/> wholly free ones.</summary>
    public ChunkPool(int maxSlabs, int keepFreeSlabs)
    {
        _maxSlabs = maxSlabs;
        _keepFreeSlabs = keepFreeSlabs;
        _slabBase = new nint[maxSlabs];
        _freeMask = new ulong[maxSlabs];
    }

    /// <summary>Slabs allocated now (each <see cref="SlabSize"/> bytes).</summary>
    public int Slabs { get { lock (_gate) return _slabs; } }

    /// <summary>Chunks handed out and not returned, slab and overflow ones together.</summary>
    public long ChunksOut { get { lock (_gate) return _chunksOut; } }

    /// <summary>Chunks handed out past the slab cap and not returned.</summary>
    public long OverflowChunksOut { get { lock (_gate) return _overflowOut; } }

    /// <summary>A chunk of <see cref="ChunkSize"/> bytes (contents unspecified); give it back with <see cref="Return"/>.</summary>
    public byte* Rent()
    {
        lock (_gate)
        {
            _chunksOut++;
            int empty = -1;
            // Fill the lowest slabs first, so the highest ones empty out and can be freed when the load drops.
            for (int s = 0; s < _maxSlabs; s++)
            {
                if (_slabBase[s] == 0) { if (empty < 0) empty = s; continue; }
                ulong mask = _freeMask[s];
                if (mask == 0) continue;
                return TakeFrom(s, mask);
            }
            if (empty >= 0)
            {
                _slabBase[empty] = (nint)NativeMemory.AlignedAlloc(SlabSize, 4096);
                _freeMask[empty] = AllFree;
                _slabs++;
                _freeSlabs++;
                return TakeFrom(empty, AllFree);
            }
            _overflowOut++;
        }
        return (byte*)NativeMemory.Alloc(ChunkSize);
    }

    private byte* TakeFrom(int slab, ulong mask)
    {
        if (mask == AllFree) _freeSlabs--;
        int bit = BitOperations.TrailingZeroCount(mask);
        _freeMask[slab] = mask & ~(1UL << bit);
        return (byte*)_slabBase[slab] + (long)bit * ChunkSize;
    }

    /// <summary>Gives back a chunk from <see cref="Rent"/>.</summary>
    public void Return(byte* chunk)
    {
        lock (_gate)
        {
            _chunksOut--;
            for (int s = 0; s < _maxSlabs; s++)
            {
                nint start = _slabBase[s];
                if (start == 0 || (nint)chunk < start || (nint)chunk >= start + SlabSize) continue;
                int bit = (int)(((nint)chunk - start) / ChunkSize);
                ulong mask = _freeMask[s] | (1UL << bit);
                _freeMask[s] = mask;
                if (mask != AllFree) return;
                if (_freeSlabs < _keepFreeSlabs) { _freeSlabs++; return; }
                _slabBase[s] = 0;
                _freeMask[s] = 0;
                _slabs--;
                NativeMemory.AlignedFree((void*)start);
                return;
            }
            _overflowOut--;
        }
        NativeMemory.Free(chunk);
    }
}
