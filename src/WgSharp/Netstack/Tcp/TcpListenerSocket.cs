using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Netstack.Tcp;

/// <summary>A listening port: completed handshakes wait in a bounded accept queue (the backlog).</summary>
internal sealed class TcpListenerSocket
{
    private readonly TcpLayer _layer;
    private readonly Lock _lock = new();
    private readonly Queue<TcpConnection> _acceptQueue;
    private readonly int _backlog;
    private readonly int _synBacklog;
    private readonly Queue<TcpConnection> _halfOpenOrder = new(); // oldest first; entries that completed are skipped lazily
    private int _halfOpen;
    private bool _closed;

    internal TcpListenerSocket(TcpLayer layer, UdpEndpoint local, int backlog, int synBacklog)
    {
        _layer = layer;
        LocalEndPoint = local;
        _backlog = Math.Max(1, backlog);
        _synBacklog = Math.Max(1, synBacklog);
        _acceptQueue = new Queue<TcpConnection>(Math.Min(_backlog, 64));
    }

    public UdpEndpoint LocalEndPoint { get; }

    /// <summary>An established connection, or null when none is waiting (wait on <see cref="AcceptSignal"/>) or the listener is closed.</summary>
    public TcpConnection? TryAccept()
    {
        lock (_lock)
        {
            if (_closed) return null;
            return _acceptQueue.TryDequeue(out var connection) ? connection : null;
        }
    }

    /// <summary>Set when a connection is ready to accept or the listener closed.</summary>
    public AsyncSignal AcceptSignal { get; } = new();

    public bool IsClosed
    {
        get { lock (_lock) return _closed; }
    }

    /// <summary>Half-open (SYN-RECEIVED) connections now (tests).</summary>
    internal int HalfOpenCount => Volatile.Read(ref _halfOpen);

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Close()
    {
        TcpConnection[] pending;
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            pending = _acceptQueue.ToArray();
            _acceptQueue.Clear();
        }
        _layer.RemoveListener(this);
        foreach (var connection in pending) connection.AbortFromStack(SocketError.ConnectionAborted);
        AcceptSignal.Set();
    }

    /// <summary>
    /// Takes a half-open slot for a new SYN; false when the listener is closed. With the SYN backlog full, the oldest
    /// half-open connection is recycled for it (RFC 4987 3.4): <paramref name="recycled"/>, which the caller drops
    /// outside the layer's lock. A flood whose SYN-ACKs go nowhere then cannot lock honest clients out until its
    /// connections time out; the count may exceed the backlog by the few drops in flight.
    /// </summary>
    internal bool TryReserveHalfOpen(out TcpConnection? recycled)
    {
        recycled = null;
        lock (_lock)
        {
            if (_closed) return false;
            if (_halfOpen >= _synBacklog)
            {
                recycled = OldestHalfOpenLocked();
                if (recycled == null) return false;
            }
            _halfOpen++;
            return true;
        }
    }

    /// <summary>Remembers a new half-open connection's age (its slot was reserved with <see cref="TryReserveHalfOpen"/>).</summary>
    internal void TrackHalfOpen(TcpConnection connection)
    {
        lock (_lock)
        {
            _halfOpenOrder.Enqueue(connection);
            // Completed connections leave their entries behind; compacting keeps the queue within twice the backlog.
            if (_halfOpenOrder.Count > 2 * _synBacklog + 16)
            {
                int count = _halfOpenOrder.Count;
                for (int i = 0; i < count; i++)
                {
                    var entry = _halfOpenOrder.Dequeue();
                    if (entry.IsHalfOpenOf(this)) _halfOpenOrder.Enqueue(entry);
                }
            }
        }
    }

    private TcpConnection? OldestHalfOpenLocked()
    {
        while (_halfOpenOrder.TryDequeue(out var connection))
        {
            if (connection.IsHalfOpenOf(this)) return connection;
        }
        return null;
    }

    /// <summary>A half-open connection went away before completing.</summary>
    internal void OnHalfOpenGone()
    {
        lock (_lock) _halfOpen--;
    }

    /// <summary>A half-open connection completed its handshake: into the accept queue, false when full or closed.</summary>
    internal bool TryEnqueue(TcpConnection connection)
    {
        lock (_lock)
        {
            _halfOpen--;
            if (_closed || _acceptQueue.Count >= _backlog) return false;
            _acceptQueue.Enqueue(connection);
        }
        AcceptSignal.Set();
        return true;
    }
}
