namespace WgSharp.Device;

/// <summary>
/// The counters of one <see cref="CounterScope"/>, one slot each, bumped with Interlocked: no lock and no
/// allocation per count. As a list it is a live view by <see cref="CounterNames"/> name in the scope's order: a
/// status snapshot of 100,000 peers refers to it instead of copying every peer's counters.
/// </summary>
internal sealed class CounterSet(CounterScope scope) : IReadOnlyList<KeyValuePair<string, ulong>>
{
    private readonly long[] _values = new long[scope.Count];

    /// <summary>The value of <paramref name="counter"/>, read now.</summary>
    public long this[Counter counter] => Interlocked.Read(ref _values[scope.SlotOf(counter)]);

    public void Increment(Counter counter) => Interlocked.Increment(ref _values[scope.SlotOf(counter)]);

    public void Add(Counter counter, long n) => Interlocked.Add(ref _values[scope.SlotOf(counter)], n);

    public int Count => _values.Length;

    /// <summary>The counter at <paramref name="index"/> (the scope's order) by name, read now.</summary>
    public KeyValuePair<string, ulong> this[int index] =>
        new(CounterNames.Of(scope[index]), (ulong)Interlocked.Read(ref _values[index]));

    public IEnumerator<KeyValuePair<string, ulong>> GetEnumerator()
    {
        for (int i = 0; i < _values.Length; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Every counter by name, copied now.</summary>
    public KeyValuePair<string, ulong>[] Snapshot() => [.. this];

    /// <summary>"name=value" for each counter, for test output and diagnostics.</summary>
    public override string ToString() => string.Join(' ', this.Select(c => $"{c.Key}={c.Value}"));
}
