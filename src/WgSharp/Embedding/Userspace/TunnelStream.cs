using System.Net;

namespace WgSharp;

/// <summary>
/// A TCP connection through the tunnel, with <see cref="System.Net.Sockets.NetworkStream"/>'s semantics: a read returns 0
/// at the end of the peer's data (FIN), <see cref="ShutdownWrite"/> half-closes, disposing closes (FIN). Failures are
/// IOExceptions whose inner exception is the <see cref="System.Net.Sockets.SocketException"/>. One read and one write may run at once.
/// </summary>
public sealed class TunnelStream : Stream
{
    internal TunnelStream() => throw new NotImplementedException("API helper");

    /// <summary>This end: the interface address and port.</summary>
    public IPEndPoint LocalEndPoint => throw new NotImplementedException();
    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint => throw new NotImplementedException();

    /// <summary>Send small writes at once instead of coalescing them (Nagle off).</summary>
    public bool NoDelay { get => throw new NotImplementedException(); set => throw new NotImplementedException(); }

    /// <summary>TCP keepalive probes on an idle connection.</summary>
    public bool KeepAlive { get => throw new NotImplementedException(); set => throw new NotImplementedException(); }

    /// <summary>Sends FIN after the queued data: the peer reads end of stream; this side can still read.</summary>
    public void ShutdownWrite() => throw new NotImplementedException();

    /// <summary>Resets the connection (RST) instead of closing it gracefully.</summary>
    public void Abort() => throw new NotImplementedException();

    /// <inheritdoc/>
    public override bool CanRead => true;
    /// <inheritdoc/>
    public override bool CanWrite => true;
    /// <inheritdoc/>
    public override bool CanSeek => false;
    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc/>
    public override void Flush() { }
    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotImplementedException();
    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotImplementedException();
    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
}
