using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// Locked, no-dump memory for many small secrets (one preshared key per peer) without a mapping for each: a secret
/// per mapping would need 100,000 mappings for 100,000 peers, beyond vm.max_map_count's 65,530. Slots of
/// <see cref="Key.Size"/> bytes are cut from chunks of <see cref="ChunkBytes"/>, each one <see cref="SecretMemory"/>
/// (locked when RLIMIT_MEMLOCK allows, MADV_DONTDUMP always on Linux). A returned slot is zeroed and reused; chunks
/// are never unmapped, so a reader still holding a span of a returned slot reads zeroes or another secret's slot,
/// never freed memory. At most <see cref="MaxSlots"/> slots exist: a client cannot make us lock unbounded memory.
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
    private int _handedOut;

    public SecretArena(int maxSlots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSlots);
        MaxSlots = maxSlots;
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
                if (_handedOut == _chunks.Count * SlotsPerChunk) _chunks.Add(new SecretMemory(ChunkBytes));
                index = _handedOut++;
            }
            return new SecretSlot(_chunks[index / SlotsPerChunk].Memory.Slice(index % SlotsPerChunk * Key.Size, Key.Size), index);
        }
    }

    /// <summary>Zeroes the slot and makes it available again. Returning a slot twice is a bug the caller must avoid.</summary>
    public void Return(SecretSlot slot)
    {
        if (slot.IsEmpty) return;
        CryptographicOperations.ZeroMemory(slot.Span);
        lock (_lock) _free.Push(slot.Index);
    }
}

/// <summary>One <see cref="Key.Size"/>-byte slot of a <see cref="SecretArena"/>; default is "no slot".</summary>
internal readonly struct SecretSlot
{
    private readonly Memory<byte> _memory;

    internal SecretSlot(Memory<byte> memory, int index)
    {
        _memory = memory;
        Index = index;
    }

    internal int Index { get; }

    /// <summary>Whether this is the default value, no slot at all.</summary>
    public bool IsEmpty => _memory.IsEmpty;

    /// <summary>The slot's bytes, in place.</summary>
    public Span<byte> Span => _memory.Span;
}
