namespace WgSharp.Cli.Proxy.Forward;

/// <summary>One client's flow in a UDP forward: the socket that carries its datagrams on the other side, and when it was last used.</summary>
internal abstract class UdpFlow : IDisposable
{
    private long _lastActive;

    /// <summary>The task relaying replies back to the client; ends when the flow is disposed.</summary>
    public Task Replies { get; set; } = Task.CompletedTask;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the last datagram either way.</summary>
    public long LastActive => Volatile.Read(ref _lastActive);

    public void Touch(long now) => Volatile.Write(ref _lastActive, now);

    /// <summary>Closes the flow's socket (its reply task then ends).</summary>
    public abstract void Dispose();
}

/// <summary>
/// The flows of a UDP forward by client address: at most <c>max</c> at once (a new client beyond that is refused and
/// counted), each closed after <c>idle</c> without traffic by <see cref="ExpireIdle"/>, which a timer calls.
/// </summary>
internal sealed class UdpFlowTable<TKey>(ProxyServiceCounters counters, int max, TimeSpan idle, TimeProvider time) where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, UdpFlow> _flows = [];
    private bool _closed;

    public int Count
    {
        get { lock (_lock) return _flows.Count; }
    }

    /// <summary>The client's flow, marked active now.</summary>
    public bool TryGet(TKey key, out UdpFlow flow)
    {
        lock (_lock)
        {
            if (!_flows.TryGetValue(key, out flow!)) return false;
        }
        flow.Touch(time.GetTimestamp());
        return true;
    }

    /// <summary>True when a new flow would be refused (checked before creating one).</summary>
    public bool IsFull
    {
        get { lock (_lock) return _closed || _flows.Count >= max; }
    }

    /// <summary>Counts a client refused because the table was full.</summary>
    public void CountRefused() => Interlocked.Increment(ref counters.Refused);

    /// <summary>Adds a new client's flow; false (the caller disposes it) when full or closed, counted refused.</summary>
    public bool TryAdd(TKey key, UdpFlow flow)
    {
        lock (_lock)
        {
            if (_closed || _flows.Count >= max || _flows.ContainsKey(key))
            {
                CountRefused();
                return false;
            }
            flow.Touch(time.GetTimestamp());
            _flows.Add(key, flow);
        }
        Interlocked.Increment(ref counters.Opened);
        Interlocked.Increment(ref counters.Active);
        return true;
    }

    /// <summary>Closes the flow if it is still the client's (its socket failed).</summary>
    public void Remove(TKey key, UdpFlow flow)
    {
        lock (_lock)
        {
            if (!_flows.TryGetValue(key, out var current) || current != flow) return;
            _flows.Remove(key);
        }
        Close(flow);
    }

    /// <summary>Closes every flow idle for the idle time or longer; how many.</summary>
    public int ExpireIdle()
    {
        long now = time.GetTimestamp();
        List<UdpFlow>? expired = null;
        lock (_lock)
        {
            foreach (var (key, flow) in _flows)
            {
                if (time.GetElapsedTime(flow.LastActive, now) < idle) continue;
                (expired ??= []).Add(flow);
                _flows.Remove(key); // allowed while enumerating a Dictionary since .NET Core 3.0
            }
        }
        if (expired is null) return 0;
        foreach (var flow in expired) Close(flow);
        return expired.Count;
    }

    private void Close(UdpFlow flow)
    {
        flow.Dispose();
        Interlocked.Decrement(ref counters.Active);
    }

    /// <summary>Admits no more flows, closes all and waits for their reply tasks.</summary>
    public async Task CloseAllAsync()
    {
        UdpFlow[] flows;
        lock (_lock)
        {
            _closed = true;
            flows = [.. _flows.Values];
            _flows.Clear();
        }
        foreach (var flow in flows) Close(flow);
        foreach (var flow in flows)
        {
            try { await flow.Replies.ConfigureAwait(false); }
            catch (Exception) { /* closed under it */ }
        }
    }
}
