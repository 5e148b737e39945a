using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// One key kept in a <see cref="SecretArena"/> slot (locked, not dumped, never moved) for an object that lives on the
/// GC heap and carries a key between a parser and the device (a <see cref="Configuration.PeerUpdate"/>, a
/// <see cref="Configuration.PeerStatus"/>): a <c>Key?</c> field of such an object is copied whenever a collection
/// moves it, and the old copy stays in freed heap memory that nothing zeroes. <see cref="Clear"/> zeroes and returns
/// the slot; the finalizer does so for an owner that was dropped without clearing (a parser that threw), so a slot
/// is never lost. The arena never unmaps its chunks, so a late reader would see zeroes or another key, never freed
/// memory; <see cref="Value"/> checks the slot's generation after copying, so such a read throws instead.
/// <para>
/// The owners' rule, one for all of them: a type that holds cells has <c>public void ClearSecrets()</c>, which zeroes
/// and returns every cell it owns and, for a device-wide type (<see cref="Configuration.DeviceUpdate"/>,
/// <see cref="Configuration.DeviceStatus"/>), calls its peers' <c>ClearSecrets</c> (<see cref="Configuration.PeerUpdate"/>,
/// <see cref="Configuration.PeerStatus"/>): one call on the outermost owner frees every slot under it. Afterwards
/// the keys read as null, and a second call does nothing.
/// </para>
/// </summary>
internal sealed class SecretKeyCell
{
    // Written once; Clear flags the cell and returns the slot, it never rewrites this (no torn reads of a struct).
    private readonly SecretSlot _slot;
    private int _cleared;

    private SecretKeyCell(SecretSlot slot) => _slot = slot;

    ~SecretKeyCell() => ReturnSlot();

    /// <summary>The key, copied out (onto the caller's stack).</summary>
    /// <exception cref="ObjectDisposedException">
    /// The cell was cleared, before or during the read: its slot may already hold zeroes or another owner's key, so
    /// what was copied is discarded rather than returned.
    /// </exception>
    public Key Value
    {
        get
        {
            Span<byte> copy = stackalloc byte[Key.Size];
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _cleared) != 0, this);
            _slot.Span.CopyTo(copy);
            // The copy's loads complete before the generation is read again (the seqlock's reader side).
            Interlocked.MemoryBarrier();
            if (!SecretArena.Keys.IsCurrent(_slot))
            {
                CryptographicOperations.ZeroMemory(copy);
                throw new ObjectDisposedException(nameof(SecretKeyCell));
            }
            var key = new Key(copy);
            CryptographicOperations.ZeroMemory(copy);
            return key;
        }
    }

    /// <summary>Whether <see cref="Clear"/> has run.</summary>
    internal bool IsCleared => Volatile.Read(ref _cleared) != 0;

    /// <summary>The arena slot itself, for tests that give it back behind the cell's back (a clear racing a read).</summary>
    internal SecretSlot SlotForTests => _slot;

    /// <summary>Zeroes the slot and gives it back to the arena; a second call does nothing.</summary>
    public void Clear()
    {
        ReturnSlot();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Stores <paramref name="value"/> in <paramref name="cell"/>: the old slot is zeroed and returned, a new one holds
    /// the key; null leaves no cell. The accessor of every such <c>Key?</c> property.
    /// </summary>
    public static void Replace(ref SecretKeyCell? cell, in Key? value)
    {
        cell?.Clear();
        cell = null;
        if (!value.HasValue) return;
        var slot = SecretArena.Keys.Rent();
        value.GetValueOrDefault().CopyTo(slot.Span);
        cell = new SecretKeyCell(slot);
    }

    /// <summary>The key a cell holds, or null for no cell: the getter of every such <c>Key?</c> property.</summary>
    public static Key? Read(SecretKeyCell? cell) => cell?.Value;

    private void ReturnSlot()
    {
        if (Interlocked.Exchange(ref _cleared, 1) == 0) SecretArena.Keys.Return(_slot);
    }
}
