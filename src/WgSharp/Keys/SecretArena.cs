using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// Locked, no-dump memory for many small secrets (one preshared key per peer) without a mapping for each: a secret
/// per mapping would need 100,000 mappings for 100,000 peers, beyond vm.max_map_count's 65,530. Slots of
/// <see cref="Key.Size"/> bytes are cut from chunks of <see cref="ChunkBytes"/>, each one <see cref="SecretMemory"/>
/// (locked when RLIMIT_MEMLOCK allows, MADV_DONTDUMP always on Linux). A returned slot is zeroed and reused; chunks
/// are never unmapped, so a reader still holding a span of a returned slot reads zeroes or another secret's slot,
/// never freed memory. At most <see cref="MaxSlots"/> slots exist: a client cannot make us lock unbounded memory.
/// Each slot index has a generation, moved on by every <see cref="Return"/>: a holder's <see cref="SecretSlot"/>
/// carries the generation it was rented at, so <see cref="IsCurrent"/> tells a stale holder from the slot's new
/// owner, and a second <see cref="Return"/> of the same rental does nothing.
/// </summary>
internal sealed class SecretArena
{
    /// <summary>64 KiB: 2,048 keys a chunk, 49 chunks for 100,000 peers.</summary>
    public const int ChunkBytes = 64 * 1024;
    private const int SlotsPerChunk = ChunkBytes / Key.Size;

    /// <summary>The arena every preshared key lives in.</summary>
    public static SecretArena Keys { get; } = new(maxSlots: 1 << 20);

    private readonly Lock _lock = new();
    private readonly List<SecretMemory> _chunks = [];
    private readonly Stack<int> _free = new();
    // One array per chunk, made with the chunk: read without the lock (a slot's chunk exists before it is handed out).
    private readonly int[]?[] _generations;
    private int _handedOut;

    public SecretArena(int maxSlots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSlots);
        MaxSlots = maxSlots;
        _generations = new int[]?[(maxSlots + SlotsPerChunk - 1) / SlotsPerChunk];
    }

    /// <summary>The most slots this arena hands out at once (32 MiB for the shared one).</summary>
    public int MaxSlots { get; }

    /// <summary>Slots in use now.</summary>
    public int InUse { get { lock (_lock) return _handedOut - _free.Count; } }

    /// <summary>Whether every chunk is locked in RAM (false when RLIMIT_MEMLOCK refused one: it is still not dumped).</summary>
    public bool IsLocked { get { lock (_lock) return _chunks.TrueForAll(c => c.IsLocked); } }

    /// <summary>A zeroed slot of <see cref="Key.Size"/> bytes; return it with <see cref="Return"/>.</summary>
    /// <exception cref="InvalidOperationException">All <see cref="MaxSlots"/> slots are in use.</exception>
    public SecretSlot Rent()
    {
        lock (_lock)
        {
            int index;
            if (_free.Count > 0) index = _free.Pop();
            else
            {
                if (_handedOut >= MaxSlots) throw new InvalidOperationException($"more than {MaxSlots} secrets are held");
                if (_handedOut == _chunks.Count * SlotsPerChunk)
                {
                    _generations[_chunks.Count] = new int[SlotsPerChunk];
                    _chunks.Add(new SecretMemory(ChunkBytes));
                }
                index = _handedOut++;
            }
            var memory = _chunks[index / SlotsPerChunk].Memory.Slice(index % SlotsPerChunk * Key.Size, Key.Size);
            return new SecretSlot(memory, index, Volatile.Read(ref GenerationOf(index)));
        }
    }

    /// <summary>
    /// Zeroes the slot and makes it available again. A slot of an earlier rental (returned already) is left alone, so
    /// returning twice cannot hand one slot to two owners.
    /// </summary>
    public void Return(SecretSlot slot)
    {
        if (slot.IsEmpty) return;
        // The generation moves first (a full fence): a reader that then sees zeroes or a new owner's bytes sees it moved.
        ref int generation = ref GenerationOf(slot.Index);
        if (Interlocked.CompareExchange(ref generation, unchecked(slot.Generation + 1), slot.Generation) != slot.Generation) return;
        CryptographicOperations.ZeroMemory(slot.Span);
        lock (_lock) _free.Push(slot.Index);
    }

    /// <summary>
    /// Whether <paramref name="slot"/> is still its holder's: not returned since it was rented. A reader checks this
    /// after copying the bytes out (behind a full fence), so a copy taken during or after a return is never trusted.
    /// </summary>
    public bool IsCurrent(in SecretSlot slot) => !slot.IsEmpty && Volatile.Read(ref GenerationOf(slot.Index)) == slot.Generation;

    private ref int GenerationOf(int index) => ref _generations[index / SlotsPerChunk]![index % SlotsPerChunk];
}

/// <summary>One <see cref="Key.Size"/>-byte slot of a <see cref="SecretArena"/>; default is "no slot".</summary>
internal readonly struct SecretSlot
{
    private readonly Memory<byte> _memory;

    internal SecretSlot(Memory<byte> memory, int index, int generation)
    {
        _memory = memory;
        Index = index;
        Generation = generation;
    }

    internal int Index { get; }

    /// <summary>The slot index's generation when this rental began (see <see cref="SecretArena.IsCurrent"/>).</summary>
    internal int Generation { get; }

    /// <summary>Whether this is the default value, no slot at all.</summary>
    public bool IsEmpty => _memory.IsEmpty;

    /// <summary>The slot's bytes, in place.</summary>
    public Span<byte> Span => _memory.Span;
}
