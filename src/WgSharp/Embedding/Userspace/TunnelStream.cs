using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using WgSharp.Netstack.Tcp;

namespace WgSharp;

/// <summary>
/// A TCP connection through the tunnel, with <see cref="System.Net.Sockets.NetworkStream"/>'s semantics: a read returns 0
/// at the end of the peer's data (FIN), <see cref="ShutdownWrite"/> half-closes, disposing closes (FIN). Failures are
/// IOExceptions whose inner exception is the <see cref="System.Net.Sockets.SocketException"/>. One read and one write may run at once.
/// </summary>
public sealed class TunnelStream : Stream
{
    private const int WouldBlock = -1, Failed = -2;

    private readonly TcpConnection _connection;
    private IPEndPoint? _localEndPoint, _remoteEndPoint;
    private volatile bool _disposed;

    internal TunnelStream(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    /// <summary>This end: the interface address and port.</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ??= _connection.LocalEndPoint.ToIPEndPoint();
    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint => _remoteEndPoint ??= _connection.RemoteEndPoint.ToIPEndPoint();

    /// <summary>Send small writes at once instead of coalescing them (Nagle off).</summary>
    public bool NoDelay
    {
        get => _connection.NoDelay;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection.NoDelay = value;
        }
    }

    /// <summary>TCP keepalive probes on an idle connection.</summary>
    public bool KeepAlive
    {
        get => _connection.KeepAlive;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection.KeepAlive = value;
        }
    }

    /// <summary>Sends FIN after the queued data: the peer reads end of stream; this side can still read.</summary>
    public void ShutdownWrite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connection.ShutdownSend();
    }

    /// <summary>Resets the connection (RST) instead of closing it gracefully; the stream is disposed.</summary>
    public void Abort()
    {
        if (_disposed) return;
        _disposed = true;
        _connection.Abort();
        WakeWaiters();
    }

    /// <summary>A read or write waiting now wakes up and finds the stream disposed (ObjectDisposedException).</summary>
    private void WakeWaiters()
    {
        _connection.ReceiveSignal.Set();
        _connection.SendSignal.Set();
    }

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;
    /// <inheritdoc/>
    public override bool CanWrite => !_disposed;
    /// <inheritdoc/>
    public override bool CanSeek => false;
    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc/>
    public override void Flush() { }
    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;
    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    // ---- reading ----

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            int n = TryRead(buffer);
            if (n != WouldBlock) return n;
            WaitSynchronously(_connection.ReceiveSignal.WaitAsync());
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        try
        {
            int n = TryRead(buffer.Span);
            if (n != WouldBlock) return new ValueTask<int>(n);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
        return ReadWhenSignaledAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWhenSignaledAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _connection.ReceiveSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            int n = TryRead(buffer.Span);
            if (n != WouldBlock) return n;
        }
    }

    /// <summary>
    /// Bytes read (0: end of stream), or <see cref="WouldBlock"/>. A zero-byte read waits for data like a socket's (it
    /// returns 0 once there is something to read), as SocketsHttpHandler and SslStream use it.
    /// </summary>
    private int TryRead(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = _connection.Receive(buffer);
        if (n == Failed) throw StreamError("Unable to read data from the transport connection", _connection.Error, SocketError.ConnectionAborted);
        return n;
    }

    // ---- writing ----

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (true)
        {
            int sent = TryWrite(buffer);
            buffer = buffer[sent..];
            if (buffer.IsEmpty) return;
            WaitSynchronously(_connection.SendSignal.WaitAsync());
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        try
        {
            int sent = TryWrite(buffer.Span);
            if (sent == buffer.Length) return ValueTask.CompletedTask;
            buffer = buffer[sent..];
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
        return WriteWhenSignaledAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteWhenSignaledAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _connection.SendSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            int sent = TryWrite(buffer.Span);
            buffer = buffer[sent..];
            if (buffer.IsEmpty) return;
        }
    }

    /// <summary>Queues as much of <paramref name="buffer"/> as fits; how many bytes (0 when the send buffer is full).</summary>
    private int TryWrite(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _connection.Send(buffer[total..]);
            if (n == WouldBlock) break;
            // Failed with no error: we shut down sending ourselves (a kernel socket says EPIPE/Shutdown).
            if (n == Failed) throw StreamError("Unable to write data to the transport connection", _connection.Error, SocketError.Shutdown);
            total += n;
        }
        return total;
    }

    // ---- shared ----

    private static void WaitSynchronously(ValueTask wait)
    {
        if (wait.IsCompleted) wait.GetAwaiter().GetResult();
        else wait.AsTask().GetAwaiter().GetResult();
    }

    private static IOException StreamError(string message, SocketError error, SocketError ifNone)
    {
        var socketError = new SocketException((int)(error == SocketError.Success ? ifNone : error));
        return new IOException($"{message}: {socketError.Message}", socketError);
    }

    /// <summary>Closes the connection gracefully (FIN after the queued data; RST when received data was left unread).</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _connection.Close();
            WakeWaiters();
        }
        base.Dispose(disposing);
    }
}
