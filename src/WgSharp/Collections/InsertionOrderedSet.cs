using System.Collections;

namespace WgSharp.Collections;

/// <summary>
/// A set that enumerates in the order items were first added. Add, Remove and Contains are O(1),
/// so loading n items is O(n): configuration lists such as a peer's allowed IPs reach a million
/// entries, where a List's Contains/Remove per line made loading quadratic.
/// <para>
/// Up to <see cref="SmallLimit"/> items live in one array searched in place: most peers have one or two allowed
/// IPs, and a dictionary with a linked list costs ~300 bytes more per peer than that array, which at 100,000 peers
/// is the largest part of an idle peer (docs/performance.md). Beyond the limit the set moves to the dictionary and
/// the list for good.
/// </para>
/// </summary>
internal sealed class InsertionOrderedSet<T> : IReadOnlyCollection<T> where T : notnull
{
    private const int SmallLimit = 8;

    private readonly IEqualityComparer<T> _comparer;
    private T[] _small = [];
    private int _smallCount;
    private LinkedList<T>? _order;                  // with _nodes once the set outgrew _small
    private Dictionary<T, LinkedListNode<T>>? _nodes;

    public InsertionOrderedSet() : this(null) { }

    public InsertionOrderedSet(IEqualityComparer<T>? comparer) => _comparer = comparer ?? EqualityComparer<T>.Default;

    public int Count => _nodes?.Count ?? _smallCount;

    /// <summary>Adds <paramref name="item"/> at the end unless present (then its position is kept). True if added.</summary>
    public bool Add(T item)
    {
        if (_nodes is not null)
        {
            if (_nodes.ContainsKey(item)) return false;
            _nodes.Add(item, _order!.AddLast(item));
            return true;
        }
        if (IndexOfSmall(item) >= 0) return false;
        if (_smallCount == SmallLimit)
        {
            MoveToLarge();
            _nodes!.Add(item, _order!.AddLast(item));
            return true;
        }
        if (_smallCount == _small.Length) Array.Resize(ref _small, Math.Max(1, 2 * _smallCount));
        _small[_smallCount++] = item;
        return true;
    }

    public void AddRange(IEnumerable<T> items)
    {
        foreach (var item in items) Add(item);
    }

    public bool Remove(T item)
    {
        if (_nodes is not null)
        {
            if (!_nodes.Remove(item, out var node)) return false;
            _order!.Remove(node);
            return true;
        }
        int index = IndexOfSmall(item);
        if (index < 0) return false;
        Array.Copy(_small, index + 1, _small, index, _smallCount - index - 1); // order kept
        _small[--_smallCount] = default!;
        return true;
    }

    public bool Contains(T item) => _nodes?.ContainsKey(item) ?? IndexOfSmall(item) >= 0;

    public void Clear()
    {
        _small = [];
        _smallCount = 0;
        _nodes = null;
        _order = null;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOfSmall(T item)
    {
        for (int i = 0; i < _smallCount; i++)
            if (_comparer.Equals(_small[i], item)) return i;
        return -1;
    }

    private void MoveToLarge()
    {
        _order = new LinkedList<T>();
        _nodes = new Dictionary<T, LinkedListNode<T>>(_comparer);
        for (int i = 0; i < _smallCount; i++) _nodes.Add(_small[i], _order.AddLast(_small[i]));
        _small = [];
        _smallCount = 0;
    }

    /// <summary>Enumerates in insertion order without allocating (a struct, as the collections' own enumerators).</summary>
    public struct Enumerator : IEnumerator<T>
    {
        private readonly T[] _small;
        private readonly int _smallCount;
        private int _index;
        private readonly bool _large;
        private LinkedList<T>.Enumerator _list;

        internal Enumerator(InsertionOrderedSet<T> set)
        {
            _small = set._small;
            _smallCount = set._smallCount;
            _index = -1;
            _large = set._order is not null;
            _list = _large ? set._order!.GetEnumerator() : default;
        }

        public readonly T Current => _large ? _list.Current : _small[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => _large ? _list.MoveNext() : ++_index < _smallCount;

        void IEnumerator.Reset() => throw new NotSupportedException();

        public void Dispose() { }
    }
}
