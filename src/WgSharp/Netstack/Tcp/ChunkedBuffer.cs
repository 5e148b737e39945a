using WgSharp.Netstack.Buffers;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// A byte queue made of pooled chunks, addressed by offset from its front: the send buffer (append at the end, read at
/// any offset to (re)transmit, drop the front as it is ACKed) and the receive buffer (write at any offset in the window,
/// out-of-order included; read and drop the front). Chunks are taken on first write and returned once the front passes
/// them, and all of them when the buffer empties, so an idle connection holds no chunk. The ring of chunk slots is
/// sized for the capacity and taken from native memory with the first chunk and given back with the last, so neither
/// an idle nor a busy buffer makes garbage. Not thread-safe (the TCB lock guards it).
/// </summary>
internal sealed unsafe class ChunkedBuffer
{
    private const int ChunkSize = ChunkPool.ChunkSize;

    private readonly ChunkPool _pool;
    private readonly int _capacity;
    private readonly int _slotCount; // ring slots: every chunk index an offset within the capacity can reach
    private byte** _slots;          // ring of chunk pointers (null: none); null while the buffer holds nothing
    private int _head;              // ring index of the chunk holding offset 0
    private int _start;             // offset 0's position within that chunk
    private int _extent;            // one past the highest offset ever written (since the front)

    public ChunkedBuffer(int capacity, ChunkPool? pool = null)
    {
        _pool = pool ?? ChunkPool.Shared;
        _capacity = capacity;
        // An offset below the capacity, plus the front's position in its chunk (< ChunkSize), indexes at most this chunk.
        _slotCount = (int)(((long)capacity + ChunkSize - 1) / ChunkSize) + 1;
    }

    // A buffer dropped without being cleared (its connection abandoned, never closed) gives its native memory back here.
    ~ChunkedBuffer() => Clear();

    /// <summary>The most bytes the buffer may hold past its front.</summary>
    public int Capacity => _capacity;

    /// <summary>One past the highest offset written (for the send buffer: its length).</summary>
    public int Extent => _extent;

    /// <summary>Chunks held now (for memory checks).</summary>
    public int ChunksHeld
    {
        get
        {
            if (_slots == null) return 0;
            int n = 0;
            for (int i = 0; i < _slotCount; i++) if (_slots[i] != null) n++;
            return n;
        }
    }

    /// <summary>Appends at the end; returns how many bytes fit.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, _capacity - _extent);
        if (n <= 0) return 0;
        Write(_extent, data[..n]);
        return n;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> (must fit in the capacity; the caller checks).</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || (long)offset + data.Length > _capacity)
            throw new ArgumentOutOfRangeException(nameof(offset), "write past the buffer's capacity");
        while (data.Length > 0)
        {
            int absolute = _start + offset;
            int index = absolute / ChunkSize, within = absolute % ChunkSize;
            byte* chunk = ChunkAt(index, create: true);
            int n = Math.Min(data.Length, ChunkSize - within);
            data[..n].CopyTo(new Span<byte>(chunk + within, n));
            data = data[n..];
            offset += n;
        }
        if (offset > _extent) _extent = offset;
    }

    /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/> (must be written).</summary>
    public void Read(int offset, Span<byte> destination)
    {
        if (offset < 0 || (long)offset + destination.Length > _capacity)
            throw new ArgumentOutOfRangeException(nameof(offset), "read past the buffer's capacity");
        while (destination.Length > 0)
        {
            int absolute = _start + offset;
            int index = absolute / ChunkSize, within = absolute % ChunkSize;
            byte* chunk = ChunkAt(index, create: false);
            int n = Math.Min(destination.Length, ChunkSize - within);
            if (chunk == null) destination[..n].Clear();
            else new ReadOnlySpan<byte>(chunk + within, n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front, returning chunks the front moved past.</summary>
    public void Consume(int count)
    {
        if (count <= 0) return;
        _start += count;
        _extent = Math.Max(0, _extent - count);
        while (_start >= ChunkSize)
        {
            ReleaseSlot(_head);
            _head = (_head + 1) % _slotCount;
            _start -= ChunkSize;
        }
        if (_extent == 0) Clear();
    }

    /// <summary>Returns every chunk and the slot ring: the buffer is empty.</summary>
    public void Clear()
    {
        if (_slots != null)
        {
            for (int i = 0; i < _slotCount; i++) ReleaseSlot(i);
            NativeBlockCache.Return(_slots, SlotBytes);
            _slots = null;
        }
        _head = 0;
        _start = 0;
        _extent = 0;
    }

    private nuint SlotBytes => (nuint)_slotCount * (nuint)sizeof(byte*);

    private void ReleaseSlot(int slot)
    {
        if (_slots == null) return;
        byte* chunk = _slots[slot];
        if (chunk == null) return;
        _slots[slot] = null;
        _pool.Return(chunk);
    }

    private byte* ChunkAt(int index, bool create)
    {
        if (_slots == null)
        {
            if (!create) return null;
            _slots = (byte**)NativeBlockCache.Rent(SlotBytes, zeroed: true);
        }
        int slot = (_head + index) % _slotCount;
        byte* chunk = _slots[slot];
        if (chunk == null && create) _slots[slot] = chunk = _pool.Rent();
        return chunk;
    }
}
