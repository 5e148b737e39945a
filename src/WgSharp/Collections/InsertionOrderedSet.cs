using System.Collections;

namespace WgSharp.Collections;

/// <summary>
/// A set that enumerates in the order items were first added. Add, Remove and Contains are O(1),
/// so loading n items is O(n): configuration lists such as a peer's allowed IPs reach a million
/// entries, where a List's Contains/Remove per line made loading quadratic.
/// </summary>
internal sealed class InsertionOrderedSet<T> : IReadOnlyCollection<T> where T : notnull
{
    private readonly LinkedList<T> _order = new();
    private readonly Dictionary<T, LinkedListNode<T>> _nodes;

    public InsertionOrderedSet() : this(null) { }

    public InsertionOrderedSet(IEqualityComparer<T>? comparer) => _nodes = new Dictionary<T, LinkedListNode<T>>(comparer);

    public int Count => _nodes.Count;

    /// <summary>Adds <paramref name="item"/> at the end unless present (then its position is kept). True if added.</summary>
    public bool Add(T item)
    {
        if (_nodes.ContainsKey(item)) return false;
        _nodes.Add(item, _order.AddLast(item));
        return true;
    }

    public void AddRange(IEnumerable<T> items)
    {
        foreach (var item in items) Add(item);
    }

    public bool Remove(T item)
    {
        if (!_nodes.Remove(item, out var node)) return false;
        _order.Remove(node);
        return true;
    }

    public bool Contains(T item) => _nodes.ContainsKey(item);

    public void Clear()
    {
        _nodes.Clear();
        _order.Clear();
    }

    public LinkedList<T>.Enumerator GetEnumerator() => _order.GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
