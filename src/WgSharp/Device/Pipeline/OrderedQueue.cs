namespace WgSharp.Device.Pipeline;

/// <summary>What the pool's shared queue points at: a slot of some ordered queue, whatever its element type.</summary>
internal abstract class OrderedQueueBase
{
    private protected OrderedQueueBase() { }

    /// <summary>Processes the element in slot, then delivers whatever is ready at the head.</summary>
    internal abstract void Run(int slot);

    /// <summary>Marks the element in slot failed without processing it (pool shutting down).</summary>
    internal abstract void Cancel(int slot);
}

/// <summary>
/// One peer's elements in one direction, in the order they were submitted: the per-peer sequential
/// queue of WireGuard implementations. Elements are processed on any thread in any order and
/// delivered strictly in submission order, one at a time, by whichever thread finds the head finished
/// (no thread per peer). Bounded: a submission to a full queue is refused.
/// <para>
/// Submission order is the order of <see cref="TrySubmit"/> calls; the sender must make that the
/// order its counters were reserved in (reserve and submit under one lock, the peer's send lock).
/// </para>
/// </summary>
internal sealed class OrderedQueue<T> : OrderedQueueBase where T : class
{
    private const int Pending = 0, Processed = 1, Failed = 2;

    private readonly CryptoPool _pool;
    private readonly IOrderedWork<T> _work;
    private readonly int _capacity;
    // Allocated on the first submission: a device may have 100,000 peers that never send (see docs/pipeline.md).
    private T?[] _items = [];
    private int[] _states = [];
    private readonly object _lock = new(); // orders submitters; senders waiting for room wait on it too
    private long _head;     // next position to deliver; advanced only by the holder of _delivering
    private long _tail;     // next position to fill; advanced under _lock
    private int _delivering; // 1 while a thread delivers from the head
    private int _roomWaiters;

    public OrderedQueue(CryptoPool pool, IOrderedWork<T> work)
    {
        _pool = pool;
        _work = work;
        _capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)pool.Options.PeerQueueCapacity);
    }

    public int Capacity => _capacity;

    /// <summary>Elements submitted and not yet delivered or discarded.</summary>
    public int Count => (int)(Volatile.Read(ref _tail) - Volatile.Read(ref _head));

    /// <summary>
    /// True when a submission would be accepted now. Only submissions fill the queue, so under the lock that
    /// orders the submitters (the peer's send lock) this stays true until that lock's holder submits.
    /// </summary>
    public bool HasRoom => !_pool.IsDisposed && Count < _capacity;

    /// <summary>
    /// Blocks until an element has been delivered and the queue has room, or the pool is shut down. For a
    /// sender that would rather wait than drop (WireGuard's send path): call it holding no lock, then take
    /// the send lock again and check <see cref="HasRoom"/> before reserving counters.
    /// </summary>
    public void WaitForRoom()
    {
        Interlocked.Increment(ref _roomWaiters); // a full fence: the deliverer sees us or we see its progress
        try
        {
            lock (_lock)
            {
                // The timeout only covers shutdown, which delivers nothing that would wake us.
                while (Count >= _capacity && !_pool.IsDisposed) Monitor.Wait(_lock, 100);
            }
        }
        finally { Interlocked.Decrement(ref _roomWaiters); }
    }

    /// <summary>
    /// Queues element behind everything submitted before and has it processed (on a worker, or here when
    /// the pool decides so; cost is what the work weighs, in bytes to seal or open). False when the queue is
    /// full or the pool is shut down: the element was not taken and still belongs to the caller.
    /// </summary>
    public bool TrySubmit(T element, int cost)
    {
        int slot;
        lock (_lock)
        {
            long position = _tail;
            if (_pool.IsDisposed || position - Volatile.Read(ref _head) >= _capacity) return false;
            if (_items.Length == 0)
            {
                _states = new int[_capacity];
                Volatile.Write(ref _items, new T?[_capacity]); // readers find the states once they see the items
            }
            slot = (int)(position & (_capacity - 1));
            _items[slot] = element;
            Volatile.Write(ref _states[slot], Pending);
            Volatile.Write(ref _tail, position + 1);
        }
        _pool.Dispatch(this, slot, cost);
        return true;
    }

    internal override void Run(int slot)
    {
        int state = Processed;
        try { _work.Process(_items[slot]!); }
        catch
        {
            state = Failed; // the element is dropped in its turn; the worker carries on
            _pool.CountFault();
        }
        Complete(slot, state);
    }

    internal override void Cancel(int slot) => Complete(slot, Failed);

    private void Complete(int slot, int state)
    {
        Volatile.Write(ref _states[slot], state);
        DeliverReady();
    }

    /// <summary>Delivers finished elements from the head until it meets one still being processed.</summary>
    private void DeliverReady()
    {
        while (Interlocked.CompareExchange(ref _delivering, 1, 0) == 0)
        {
            long head = Volatile.Read(ref _head);
            while (head != Volatile.Read(ref _tail))
            {
                int slot = (int)(head & (_capacity - 1));
                int state = Volatile.Read(ref _states[slot]);
                if (state == Pending) break;
                var element = _items[slot]!;
                _items[slot] = null;
                Interlocked.Exchange(ref _head, ++head); // a full fence before looking for waiters
                if (Volatile.Read(ref _roomWaiters) != 0) WakeRoomWaiters();
                Hand(element, state);
            }
            Interlocked.Exchange(ref _delivering, 0);
            // A thread that finished the head while we held the token left it to us: look once more.
            if (head == Volatile.Read(ref _tail) || Volatile.Read(ref _states[(int)(head & (_capacity - 1))]) == Pending) return;
        }
    }

    private void WakeRoomWaiters()
    {
        lock (_lock) Monitor.PulseAll(_lock);
    }

    private void Hand(T element, int state)
    {
        // An exception must not escape: it would leave the delivery token taken and the queue stuck.
        try
        {
            if (state != Processed || _pool.IsDisposed) _work.Discard(element);
            else _work.Deliver(element);
        }
        catch { _pool.CountFault(); }
    }
}
