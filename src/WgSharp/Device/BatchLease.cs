using WgSharp.Device.IO;

namespace WgSharp.Device;

/// <summary>
/// A <see cref="PacketBatch"/> shared by the pipeline elements that hold parts of it (the runs of one tunnel
/// read go to different peers' queues): reference-counted, back to its pool when the last holder releases it.
/// </summary>
internal sealed class BatchLease(PacketBatch batch, BatchLeasePool pool)
{
    private int _references;

    public PacketBatch Batch { get; } = batch;

    /// <summary>Called by the pool when it hands the lease out: one reference, the renter's.</summary>
    internal void Reset() => Volatile.Write(ref _references, 1);

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) pool.Return(this);
    }
}

/// <summary>Packet batches of one size for the pipeline; freed when the device is disposed (late returns are freed on return).</summary>
internal sealed class BatchLeasePool : IDisposable
{
    private readonly Recycler<BatchLease> _free;
    private volatile bool _disposed;

    public BatchLeasePool(int capacity)
    {
        Capacity = capacity;
        _free = new Recycler<BatchLease>(() => new BatchLease(new PacketBatch(capacity), this));
    }

    /// <summary>Slots per batch.</summary>
    public int Capacity { get; }

    public BatchLease Rent()
    {
        var lease = _free.Rent();
        lease.Reset();
        lease.Batch.Count = 0;
        return lease;
    }

    internal void Return(BatchLease lease)
    {
        if (_disposed) { lease.Batch.Dispose(); return; }
        _free.Return(lease);
        if (_disposed) foreach (var l in _free.Drain()) l.Batch.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var lease in _free.Drain()) lease.Batch.Dispose();
    }
}
