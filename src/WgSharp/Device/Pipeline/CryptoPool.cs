namespace WgSharp.Device.Pipeline;

/// <summary>
/// Worker threads that seal and open for every peer of a device, in both directions, while each peer's
/// packets still leave in order. Elements are submitted to a per-peer <see cref="OrderedQueue{T}"/>,
/// which keeps their order; the pool runs the order-independent work (<see cref="IOrderedWork{T}.Process"/>)
/// on whichever thread is free, and the thread that finishes the element at the head of a queue delivers
/// it and every finished element behind it (see docs/pipeline.md).
/// <para>
/// Nothing is allocated per element: the shared queue is a fixed ring of (queue, slot) pairs, waiting is a
/// monitor. No lock is held while an element is processed or delivered.
/// </para>
/// </summary>
internal sealed class CryptoPool : IDisposable
{
    private readonly struct WorkEntry(OrderedQueueBase queue, int slot)
    {
        public readonly OrderedQueueBase Queue = queue;
        public readonly int Slot = slot;
    }

    private readonly Thread[] _workers;
    private readonly WorkEntry[] _ring;
    private readonly object _lock = new();
    private readonly int _inlineBelowCost;
    private readonly long _spinTicks;
    private int _ringHead;
    private int _ringCount;
    private int _idle;
    private long _faults;
    private volatile bool _disposed;

    public CryptoPool(CryptoPoolOptions? options = null)
    {
        Options = options ?? new CryptoPoolOptions();
        Options.Validate();
        int workers = Options.Workers;
        _ring = new WorkEntry[workers == 0 ? 1 : Options.QueueCapacity > 0 ? Options.QueueCapacity : 4 * workers];
        _inlineBelowCost = Options.InlineBelowCost;
        _spinTicks = (long)(Options.WorkerSpin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"wg-crypto-{i}" };
            _workers[i].Start();
        }
    }

    public CryptoPoolOptions Options { get; }

    /// <summary>Background worker threads (Threads - 1; 0 means everything runs inline).</summary>
    public int WorkerCount => _workers.Length;

    public bool IsDisposed => _disposed;

    /// <summary>Exceptions thrown by <see cref="IOrderedWork{T}.Process"/> or <see cref="IOrderedWork{T}.Deliver"/>, caught so the pipeline keeps going.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    internal void CountFault() => Interlocked.Increment(ref _faults);

    /// <summary>Elements waiting in the shared queue for a worker (never more than its capacity).</summary>
    internal int QueuedCount { get { lock (_lock) return _ringCount; } }

    /// <summary>
    /// Runs the element in slot of queue: on a worker when one can take it, otherwise here. Inline when the
    /// pool has no workers, when the element is cheaper than a hand-off, or when the shared queue is full
    /// (the submitter then works instead of reading more: back-pressure that never blocks).
    /// </summary>
    internal void Dispatch(OrderedQueueBase queue, int slot, int cost)
    {
        if (_workers.Length > 0 && cost >= _inlineBelowCost)
        {
            lock (_lock)
            {
                if (_ringCount < _ring.Length && !_disposed)
                {
                    _ring[(_ringHead + _ringCount) % _ring.Length] = new WorkEntry(queue, slot);
                    _ringCount++;
                    if (_idle > 0) Monitor.Pulse(_lock);
                    return;
                }
            }
        }
        queue.Run(slot);
    }

    private void WorkerLoop()
    {
        while (true)
        {
            WorkEntry entry;
            SpinForWork();
            lock (_lock)
            {
                while (_ringCount == 0 && !_disposed)
                {
                    _idle++;
                    Monitor.Wait(_lock);
                    _idle--;
                }
                if (_disposed) return; // what is left is cancelled by Dispose
                entry = TakeLocked();
            }
            entry.Queue.Run(entry.Slot);
        }
    }

    /// <summary>
    /// An idle worker looks for work a little longer before it sleeps: batches arriving back to back then
    /// cost no futex wake and no context switch (measured: ~6 % less CPU per GB at 2 threads).
    /// </summary>
    private void SpinForWork()
    {
        if (_spinTicks == 0 || Volatile.Read(ref _ringCount) != 0) return;
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
        while (Volatile.Read(ref _ringCount) == 0 && !_disposed && System.Diagnostics.Stopwatch.GetTimestamp() < until)
            Thread.SpinWait(8);
    }

    private WorkEntry TakeLocked()
    {
        var entry = _ring[_ringHead];
        _ring[_ringHead] = default;
        _ringHead = (_ringHead + 1) % _ring.Length;
        _ringCount--;
        return entry;
    }

    /// <summary>
    /// Stops the workers (each finishes the element it holds) and discards every element not yet
    /// processed or delivered, so their buffers go back to their owners. Elements submitted afterwards
    /// are refused. Does not wait for a submitting thread that is running an element inline: that
    /// thread discards what it finishes.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
        foreach (var worker in _workers)
            if (worker != Thread.CurrentThread) worker.Join();
        while (true)
        {
            WorkEntry entry;
            lock (_lock)
            {
                if (_ringCount == 0) return;
                entry = TakeLocked();
            }
            entry.Queue.Cancel(entry.Slot);
        }
    }
}
