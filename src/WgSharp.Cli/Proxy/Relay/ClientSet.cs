namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// The clients one service is serving: admits at most <c>max</c> at once (the rest are refused and counted), keeps
/// each one's task so disposal can stop them all and wait for them, and keeps the Opened/Active counters.
/// </summary>
internal sealed class ClientSet(ProxyServiceCounters counters, int max)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Task> _running = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _nextId;
    private bool _closed;

    /// <summary>Cancelled when the service stops: every client's work observes it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Clients held now.</summary>
    public int Count
    {
        get { lock (_lock) return _running.Count; }
    }

    /// <summary>Runs <paramref name="serve"/> on the thread pool if a slot is free; false (counted refused) when full or stopping.</summary>
    public bool TryRun(Func<CancellationToken, Task> serve)
    {
        long id;
        var admitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task task;
        lock (_lock)
        {
            if (_closed || _running.Count >= max)
            {
                Interlocked.Increment(ref counters.Refused);
                return false;
            }
            id = _nextId++;
            // Waits for its own registration so its removal can never come first.
            task = Task.Run(() => RunAsync(id, admitted.Task, serve));
            _running.Add(id, task);
        }
        Interlocked.Increment(ref counters.Opened);
        Interlocked.Increment(ref counters.Active);
        admitted.SetResult();
        return true;
    }

    private async Task RunAsync(long id, Task admitted, Func<CancellationToken, Task> serve)
    {
        try
        {
            await admitted.ConfigureAwait(false);
            await serve(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // serve handles and logs its own failures; nothing may escape to the pool
        }
        finally
        {
            lock (_lock) _running.Remove(id);
            Interlocked.Decrement(ref counters.Active);
        }
    }

    /// <summary>Admits no one more, cancels every client and waits until all have ended.</summary>
    public async Task StopAsync()
    {
        Task[] running;
        lock (_lock)
        {
            _closed = true;
            running = [.. _running.Values];
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }
}
