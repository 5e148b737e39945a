namespace WgSharp.Keys;

/// <summary>
/// One key kept in a <see cref="SecretArena"/> slot (locked, not dumped, never moved) for an object that lives on the
/// GC heap and carries a key between a parser and the device (a <see cref="Configuration.PeerUpdate"/>, a
/// <see cref="Configuration.PeerStatus"/>): a <c>Key?</c> field of such an object is copied whenever a collection
/// moves it, and the old copy stays in freed heap memory that nothing zeroes. <see cref="Clear"/> zeroes and returns
/// the slot; the finalizer does so for an owner that was dropped without clearing (a parser that threw), so a slot
/// is never lost. The arena never unmaps its chunks, so a late reader sees zeroes or another key, never freed memory.
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
    private SecretSlot _slot;

    private SecretKeyCell(SecretSlot slot) => _slot = slot;

    ~SecretKeyCell() => ReturnSlot();

    /// <summary>The key, copied out (onto the caller's stack); <see cref="Key.Zero"/> once cleared.</summary>
    public Key Value
    {
        get
        {
            var slot = _slot;
            return slot.IsEmpty ? Key.Zero : new Key(slot.Span);
        }
    }

    /// <summary>Whether <see cref="Clear"/> has run (or the slot was otherwise given back).</summary>
    internal bool IsCleared => _slot.IsEmpty;

    /// <summary>Zeroes the slot and gives it back to the arena.</summary>
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
        var slot = _slot;
        _slot = default;
        SecretArena.Keys.Return(slot);
    }
}
