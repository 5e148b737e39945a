namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// The clients one service is serving: admits at most <c>max</c> at once, keeps each one's task so disposal can stop
/// them all and wait for them, and keeps the Opened/Active counters. When full, a newcomer takes the slot of the
/// oldest client still in its handshake (that client is ended and counted refused); with none in a handshake, the
/// newcomer is refused and counted.
/// </summary>
/// <param name="counters">The service's counters.</param>
/// <param name="max">Clients served at once.</param>
/// <param name="clientsStartInHandshake">
/// True for services whose clients speak first (SOCKS5, HTTP): a client is in its handshake from admission until its
/// first <see cref="ClientSlot.BeginHandshake"/> phase ends. False where there is nothing to wait for from the client.
/// </param>
internal sealed class ClientSet(ProxyServiceCounters counters, int max, bool clientsStartInHandshake)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (ClientSlot Slot, Task Task)> _running = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _nextId;
    private int _evicting; // slots taken back whose clients have not ended yet: they no longer count against max
    private bool _closed;

    /// <summary>Cancelled when the service stops: every client's work observes it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Clients held now (those being ended after their slot was taken back included).</summary>
    public int Count
    {
        get { lock (_lock) return _running.Count; }
    }

    /// <summary>
    /// Runs <paramref name="serve"/> on the thread pool if a slot is free or can be taken back from a client still in its
    /// handshake; false (counted refused) when full of served clients, or stopping.
    /// </summary>
    public bool TryRun(Func<ClientSlot, Task> serve)
    {
        var admitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ClientSlot? evicted = null;
        lock (_lock)
        {
            if (_closed)
            {
                Interlocked.Increment(ref counters.Refused);
                return false;
            }
            if (_running.Count - _evicting >= max)
            {
                evicted = OldestInHandshakeLocked();
                if (evicted is null)
                {
                    Interlocked.Increment(ref counters.Refused);
                    return false;
                }
                evicted.MarkEvicted();
                _evicting++;
            }
            long id = _nextId++;
            var slot = new ClientSlot(id, _stopping.Token, clientsStartInHandshake);
            // Waits for its own registration so its removal can never come first.
            var task = Task.Run(() => RunAsync(id, slot, admitted.Task, serve));
            _running.Add(id, (slot, task));
        }
        if (evicted is not null)
        {
            Interlocked.Increment(ref counters.Refused);
            evicted.Cancel();
        }
        Interlocked.Increment(ref counters.Opened);
        Interlocked.Increment(ref counters.Active);
        admitted.SetResult();
        return true;
    }

    // At most max entries, and only when full: a flood pays one walk per newcomer, as the clients it holds are bounded.
    private ClientSlot? OldestInHandshakeLocked()
    {
        ClientSlot? oldest = null;
        foreach (var (slot, _) in _running.Values)
        {
            if (slot.Evictable && (oldest is null || slot.Order < oldest.Order)) oldest = slot;
        }
        return oldest;
    }

    private async Task RunAsync(long id, ClientSlot slot, Task admitted, Func<ClientSlot, Task> serve)
    {
        try
        {
            await admitted.ConfigureAwait(false);
            await serve(slot).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // serve handles and logs its own failures; nothing may escape to the pool
        }
        finally
        {
            lock (_lock)
            {
                _running.Remove(id);
                if (slot.IsEvicted) _evicting--;
            }
            slot.Dispose();
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
            running = [.. _running.Values.Select(r => r.Task)];
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }
}
