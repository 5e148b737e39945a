namespace WgSharp.Device.Pipeline;

/// <summary>Sizing of a <see cref="CryptoPool"/>; the defaults fit the machine the process runs on.</summary>
internal sealed class CryptoPoolOptions
{
    /// <summary>
    /// Most threads that seal or open at the same time, the submitting thread included: the pool starts
    /// Threads - 1 workers, and a submitting thread does the work itself when they are all busy. 1 runs
    /// everything inline on the submitting thread (no hand-off at all). Default: one per processor.
    /// </summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Elements waiting for a worker (all queues together). When it is full the submitting thread runs the
    /// element itself: back-pressure without blocking, and the submitter's core joins the work.
    /// Default (0): four per worker.
    /// </summary>
    public int QueueCapacity { get; init; }

    /// <summary>
    /// Elements one <see cref="OrderedQueue{T}"/> holds between submission and delivery; a submission to a
    /// full queue is refused (the caller drops it, as WireGuard drops for a peer that cannot keep up).
    /// Rounded up to a power of two.
    /// </summary>
    public int PeerQueueCapacity { get; init; } = 64;

    /// <summary>
    /// Elements whose cost (bytes to seal or open, as the submitter states it) is below this run on the
    /// submitting thread: waking a worker costs more than sealing a few packets, and a lone small packet
    /// (a ping, a keepalive) should not wait for a thread to be scheduled.
    /// </summary>
    public int InlineBelowCost { get; init; } = 8 * 1024;

    /// <summary>
    /// How long an idle worker keeps looking for work before it sleeps (0: sleep at once). Spinning is cheaper
    /// than being woken when batches come back to back, and costs a core's time when they do not.
    /// </summary>
    public TimeSpan WorkerSpin { get; init; } = TimeSpan.FromMicroseconds(20);

    internal int Workers => Math.Max(0, Threads - 1);

    internal void Validate()
    {
        if (Threads < 1 || Threads > 1024) throw new ArgumentOutOfRangeException(nameof(Threads), "Threads must be 1-1024.");
        if (QueueCapacity < 0) throw new ArgumentOutOfRangeException(nameof(QueueCapacity));
        if (PeerQueueCapacity < 1 || PeerQueueCapacity > 1 << 20) throw new ArgumentOutOfRangeException(nameof(PeerQueueCapacity));
        if (InlineBelowCost < 0) throw new ArgumentOutOfRangeException(nameof(InlineBelowCost));
        if (WorkerSpin < TimeSpan.Zero || WorkerSpin > TimeSpan.FromMilliseconds(10)) throw new ArgumentOutOfRangeException(nameof(WorkerSpin));
    }
}
