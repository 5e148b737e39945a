namespace WgSharp.Device;

/// <summary>
/// Which <see cref="Counter"/>s one scope keeps, in the order it shows them: the interface keeps all, a peer only
/// those a drop or handshake can be blamed on it for. A <see cref="CounterSet"/> of the scope holds one slot each.
/// </summary>
internal sealed class CounterScope : IReadOnlyList<Counter>
{
    public static CounterScope Device { get; } = new(Enum.GetValues<Counter>());

    public static CounterScope Peer { get; } = new(
    [
        Counter.UnallowedSource, Counter.InvalidInner, Counter.DecryptFailed, Counter.Replayed, Counter.StagedDropped,
        Counter.SendErrors, Counter.HandshakesSent, Counter.HandshakesReceived, Counter.HandshakesFailed,
    ]);

    private readonly Counter[] _counters;
    private readonly int[] _slots; // by counter: its slot here, -1 when this scope does not keep it

    private CounterScope(Counter[] counters)
    {
        _counters = counters;
        _slots = new int[Enum.GetValues<Counter>().Length];
        Array.Fill(_slots, -1);
        for (int slot = 0; slot < counters.Length; slot++) _slots[(int)counters[slot]] = slot;
    }

    public int Count => _counters.Length;

    /// <summary>The counter in <paramref name="slot"/> (0 to <see cref="Count"/> - 1, the order shown).</summary>
    public Counter this[int slot] => _counters[slot];

    /// <summary>The slot of <paramref name="counter"/>; a counter the scope does not keep is a programming error.</summary>
    public int SlotOf(Counter counter)
    {
        int slot = _slots[(int)counter];
        if (slot < 0) throw new ArgumentOutOfRangeException(nameof(counter), counter, "not kept in this scope");
        return slot;
    }

    public IEnumerator<Counter> GetEnumerator() => ((IEnumerable<Counter>)_counters).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
