using System.Collections.Concurrent;
using WgSharp.Device.Pipeline;

namespace WgSharp.Tests.Device.Pipeline;

/// <summary>A unit of test work: which queue (peer) it belongs to and its place in that queue's order.</summary>
internal sealed class TestElement(int peer, int sequence)
{
    public int Peer { get; } = peer;
    public int Sequence { get; } = sequence;
    public int ProcessedOn;
    public bool Released;
}

/// <summary>
/// Records what the pool did: which threads processed, what was delivered per peer and in which order,
/// what was discarded, and that every element was released exactly once. Optional hooks slow
/// processing down or block it, to make workers finish out of order.
/// </summary>
internal sealed class RecordingWork(int peers) : IOrderedWork<TestElement>
{
    private readonly List<int>[] _delivered = Enumerable.Range(0, peers).Select(_ => new List<int>()).ToArray();
    private int _released;
    private int _discarded;
    private int _doubleReleases;

    public Action<TestElement>? OnProcess { get; set; }
    public ConcurrentDictionary<int, int> ProcessingThreads { get; } = new();
    public ConcurrentDictionary<int, int> DeliveringThreads { get; } = new();
    public int Released => Volatile.Read(ref _released);
    public int Discarded => Volatile.Read(ref _discarded);
    public int DoubleReleases => Volatile.Read(ref _doubleReleases);

    public IReadOnlyList<int> Delivered(int peer)
    {
        lock (_delivered[peer]) return _delivered[peer].ToArray();
    }

    public void Process(TestElement element)
    {
        element.ProcessedOn = Environment.CurrentManagedThreadId;
        ProcessingThreads.TryAdd(Environment.CurrentManagedThreadId, 0);
        OnProcess?.Invoke(element);
    }

    public void Deliver(TestElement element)
    {
        DeliveringThreads.TryAdd(Environment.CurrentManagedThreadId, 0);
        lock (_delivered[element.Peer]) _delivered[element.Peer].Add(element.Sequence);
        Release(element);
    }

    public void Discard(TestElement element)
    {
        Interlocked.Increment(ref _discarded);
        Release(element);
    }

    private void Release(TestElement element)
    {
        if (element.Released) Interlocked.Increment(ref _doubleReleases);
        element.Released = true;
        Interlocked.Increment(ref _released);
    }
}
