namespace WgSharp.Netstack.Tcp;

/// <summary>
/// A byte queue made of pooled chunks, addressed by offset from its front: the send buffer (append at the end, read at
/// any offset to (re)transmit, drop the front as it is ACKed) and the receive buffer (write at any offset in the window,
/// out-of-order included; read and drop the front). Chunks are taken on first write and returned once the front passes
/// them, and all of them when the buffer empties, so an idle connection holds no chunk. Not thread-safe (the TCB lock guards it).
/// </summary>
internal sealed class ChunkedBuffer
{
    private const int ChunkSize = ChunkPool.ChunkSize;

    private byte[]?[] _chunks = new byte[]?[4]; // ring of chunk slots; grows (doubling) up to what the capacity needs
    private int _head;                          // ring index of the chunk holding offset 0
    private int _start;                         // offset 0's position within that chunk
    private int _extent;                        // one past the highest offset ever written (since the front)
    private readonly int _capacity;

    public ChunkedBuffer(int capacity) => _capacity = capacity;

    /// <summary>The most bytes the buffer may hold past its front.</summary>
    public int Capacity => _capacity;

    /// <summary>One past the highest offset written (for the send buffer: its length).</summary>
    public int Extent => _extent;

    /// <summary>Chunks held now (for memory checks).</summary>
    public int ChunksHeld
    {
        get
        {
            int n = 0;
            foreach (var c in _chunks) if (c != null) n++;
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
        while (data.Length > 0)
        {
            int absolute = _start + offset;
            int index = absolute / ChunkSize, within = absolute % ChunkSize;
            var chunk = ChunkAt(index, create: true)!;
            int n = Math.Min(data.Length, ChunkSize - within);
            data[..n].CopyTo(chunk.AsSpan(within));
            data = data[n..];
            offset += n;
        }
        if (offset > _extent) _extent = offset;
    }

    /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/> (must be written).</summary>
    public void Read(int offset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int absolute = _start + offset;
            int index = absolute / ChunkSize, within = absolute % ChunkSize;
            var chunk = ChunkAt(index, create: false);
            int n = Math.Min(destination.Length, ChunkSize - within);
            if (chunk == null) destination[..n].Clear();
            else chunk.AsSpan(within, n).CopyTo(destination);
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
            _head = (_head + 1) % _chunks.Length;
            _start -= ChunkSize;
        }
        if (_extent == 0) Clear();
    }

    /// <summary>Returns every chunk: the buffer is empty.</summary>
    public void Clear()
    {
        for (int i = 0; i < _chunks.Length; i++) ReleaseSlot(i);
        _head = 0;
        _start = 0;
        _extent = 0;
    }

    private void ReleaseSlot(int slot)
    {
        var chunk = _chunks[slot];
        if (chunk == null) return;
        _chunks[slot] = null;
        ChunkPool.Return(chunk);
    }

    private byte[]? ChunkAt(int index, bool create)
    {
        if (index >= _chunks.Length)
        {
            if (!create) return null;
            Grow(index + 1);
        }
        int slot = (_head + index) % _chunks.Length;
        var chunk = _chunks[slot];
        if (chunk == null && create) _chunks[slot] = chunk = ChunkPool.Rent();
        return chunk;
    }

    private void Grow(int needed)
    {
        int size = _chunks.Length;
        while (size < needed) size *= 2;
        var grown = new byte[]?[size];
        for (int i = 0; i < _chunks.Length; i++) grown[i] = _chunks[(_head + i) % _chunks.Length];
        _chunks = grown;
        _head = 0;
    }
}
