using WgSharp.Device.IO;

namespace WgSharp.Netstack.Tcp;

/// <summary>A listening port: completed handshakes wait in a bounded accept queue (the backlog).</summary>
internal sealed class TcpListenerSocket
{
    /// <summary>Not part of the contract: the TCP helper replaces this stub.</summary>
    private TcpListenerSocket() => throw new NotImplementedException("TCP helper");

    public UdpEndpoint LocalEndPoint => throw new NotImplementedException();

    /// <summary>An established connection, or null when none is waiting (wait on <see cref="AcceptSignal"/>) or the listener is closed.</summary>
    public TcpConnection? TryAccept() => throw new NotImplementedException();

    /// <summary>Set when a connection is ready to accept or the listener closed.</summary>
    public AsyncSignal AcceptSignal => throw new NotImplementedException();

    public bool IsClosed => throw new NotImplementedException();

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Close() => throw new NotImplementedException();
}
