namespace WgSharp.Cli.Proxy.Relay;

/// <summary>
/// The accept loop every listening service runs: accepts until the service stops, gives each connection to a client
/// slot of the <see cref="ClientSet"/> (which runs it on the thread pool), and refuses it at once when the set is full.
/// </summary>
internal static class AcceptLoop
{
    /// <summary>
    /// Accepts with <paramref name="accept"/> until <see cref="ClientSet.Stopping"/>; an accepted connection is served
    /// by <paramref name="serve"/> in a slot, or given to <paramref name="refuse"/> (counted refused by the set). A
    /// failed accept goes to <paramref name="acceptFailed"/>: true to go on (after its own back-off), false to end.
    /// </summary>
    public static async Task RunAsync<T>(
        ClientSet clients,
        Func<CancellationToken, ValueTask<T>> accept,
        Func<T, ClientSlot, Task> serve,
        Action<T> refuse,
        Func<Exception, Task<bool>> acceptFailed)
    {
        var stopping = clients.Stopping;
        while (!stopping.IsCancellationRequested)
        {
            T connection;
            try
            {
                connection = await accept(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (stopping.IsCancellationRequested || !await acceptFailed(e).ConfigureAwait(false)) return;
                continue;
            }
            if (!clients.TryRun(slot => serve(connection, slot))) refuse(connection);
        }
    }
}
