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

    /// <summary>Takes a half-open slot for a new SYN; false when the SYN backlog is full or the listener closed.</summary>
    internal bool TryReserveHalfOpen()
    {
        lock (_lock)
        {
            if (_closed || _halfOpen >= _synBacklog) return false;
            _halfOpen++;
            return true;
        }
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
