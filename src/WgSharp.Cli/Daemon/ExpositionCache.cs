namespace WgSharp.Cli.Daemon;

/// <summary>
/// The exposition's bytes, collected at most once per <see cref="MaxAge"/>: with 5,000 peers one collection is 8 MB
/// and up to a second of CPU, so scrapes arriving together share one. Buffers are reused: a snapshot still being
/// sent to a slow client is never overwritten (it has readers); a free one is refilled in place, so memory stays at
/// one buffer per connection still sending at most, however many scrapes come.
/// </summary>
internal sealed class ExpositionCache(PrometheusExposition exposition, TimeProvider time)
{
    /// <summary>How long a collection is served again: Prometheus scrapes every 10-60 s, a second loses nothing.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private const long CollectGarbageAfterBytes = 16 << 20;

    private readonly Lock _lock = new();
    private readonly List<Snapshot> _snapshots = [];
    private Snapshot? _current;

    /// <summary>One collection's bytes; hold it with <see cref="Acquire"/>, give it back with <see cref="Release"/>.</summary>
    public sealed class Snapshot
    {
        internal byte[] Buffer = [];
        internal int Readers;
        internal long CollectedAt;

        /// <summary>Number of valid bytes in <see cref="Buffer"/>.</summary>
        public int Length { get; internal set; }

        /// <summary>The exposition text, UTF-8.</summary>
        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);
    }

    /// <summary>The latest collection, collecting now if it is older than <see cref="MaxAge"/>. Throws what collecting throws.</summary>
    public Snapshot Acquire()
    {
        lock (_lock)
        {
            long now = time.GetTimestamp();
            if (_current is null || time.GetElapsedTime(_current.CollectedAt, now) >= MaxAge)
            {
                var target = _snapshots.Find(s => s.Readers == 0);
                if (target is null) _snapshots.Add(target = new Snapshot());
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                target.Length = exposition.CollectInto(ref target.Buffer);
                // Thousands of peers leave megabytes of measurement arrays behind, large ones on the LOH, which only a
                // full collection returns; left to the GC's own pace the daemon's RSS climbed scrape after scrape.
                if (GC.GetAllocatedBytesForCurrentThread() - allocated > CollectGarbageAfterBytes) GC.Collect();
                target.CollectedAt = now;
                _current = target;
            }
            _current.Readers++;
            return _current;
        }
    }

    /// <summary>Gives back a snapshot from <see cref="Acquire"/> once its bytes are sent (or the connection is gone).</summary>
    public void Release(Snapshot snapshot)
    {
        lock (_lock) snapshot.Readers--;
    }
}
