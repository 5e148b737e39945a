using System.Net;
using System.Net.Sockets;
using WgSharp.Netstack.Tcp;

namespace WgSharp;

/// <summary>A TCP listening port on the tunnel address; peers connect to it. Dispose stops listening.</summary>
public sealed class TunnelListener : IAsyncDisposable, IDisposable
{
    private readonly TcpListenerSocket[] _sockets;
    private readonly CancellationTokenSource _closing = new();
    private readonly AnySignalWaiter _waiter;
    private int _nextSocket; // where the next accept starts looking: sockets take turns
    private volatile bool _disposed;

    /// <param name="sockets">One per address family listened on (at least one); the listener owns them.</param>
    internal TunnelListener(TcpListenerSocket[] sockets)
    {
        if (sockets.Length == 0) throw new ArgumentException("at least one listening socket", nameof(sockets));
        _sockets = sockets;
        LocalEndPoint = sockets[0].LocalEndPoint.ToIPEndPoint();
        var signals = new Netstack.AsyncSignal[sockets.Length];
        for (int i = 0; i < sockets.Length; i++) signals[i] = sockets[i].AcceptSignal;
        _waiter = new AnySignalWaiter(signals, _closing.Token);
    }

    /// <summary>The address and port listened on (the IPv4 one when listening on every address of both families).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// The next incoming connection; ObjectDisposedException once the listener is disposed (also for an accept waiting
    /// then), SocketException(OperationAborted) when the stack shut down. Several accepts may wait at once.
    /// </summary>
    public async ValueTask<TunnelStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAccept() is { } connection) return new TunnelStream(connection);
            if (AllClosed()) throw new SocketException((int)SocketError.OperationAborted);
            await _waiter.WaitAnyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private TcpConnection? TryAccept()
    {
        int start = (int)((uint)Interlocked.Increment(ref _nextSocket) % (uint)_sockets.Length);
        for (int i = 0; i < _sockets.Length; i++)
        {
            if (_sockets[(start + i) % _sockets.Length].TryAccept() is { } connection) return connection;
        }
        return null;
    }

    private bool AllClosed()
    {
        foreach (var socket in _sockets)
            if (!socket.IsClosed) return false;
        return true;
    }

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var socket in _sockets) socket.Close();
        _closing.Cancel(); // wakes waiting accepts, which then see the listener disposed (not disposed itself: a racing wait may still register on it)
    }

    /// <summary>Stops listening (<see cref="Dispose"/>).</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
