namespace WgSharp.Device;

/// <summary>
/// A free list of reusable objects (pipeline elements, packet batches): taking one allocates only while the
/// list is still growing to what is in flight at the busiest moment, never in steady state.
/// </summary>
internal sealed class Recycler<T>(Func<T> create) where T : class
{
    private readonly Stack<T> _free = new();
    private readonly Lock _lock = new();

    public T Rent()
    {
        lock (_lock)
            if (_free.TryPop(out var item)) return item;
        return create();
    }

    public void Return(T item)
    {
        lock (_lock) _free.Push(item);
    }

    /// <summary>Takes every free object out (the owner disposes them).</summary>
    public List<T> Drain()
    {
        lock (_lock)
        {
            var all = new List<T>(_free);
            _free.Clear();
            return all;
        }
    }
}
