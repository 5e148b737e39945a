using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// One TCP connection (its TCB, RFC 9293). The application side is non-blocking and thread-safe; waiting is done on the
/// three <see cref="AsyncSignal"/>s, which the connection sets whenever what the signal is about may have changed.
/// </summary>
internal sealed class TcpConnection : StackSocket
{
    /// <summary>Not part of the contract: the TCP helper replaces this stub.</summary>
    private TcpConnection() => throw new NotImplementedException("TCP helper");

    public UdpEndpoint LocalEndPoint => throw new NotImplementedException();
    public UdpEndpoint RemoteEndPoint => throw new NotImplementedException();

    /// <summary>Established (or later, with the handshake done).</summary>
    public bool IsEstablished => throw new NotImplementedException();

    /// <summary>
    /// Success while the connection is fine; once it failed: ConnectionRefused (RST to our SYN), TimedOut (retries or
    /// keepalive exhausted), ConnectionReset (RST), HostUnreachable/NetworkUnreachable (ICMP), ConnectionAborted (Abort or stack gone).
    /// </summary>
    public SocketError Error => throw new NotImplementedException();

    /// <summary>Set on established or failed (active open).</summary>
    public AsyncSignal ConnectSignal => throw new NotImplementedException();

    /// <summary>Set when data, FIN or an error arrives.</summary>
    public AsyncSignal ReceiveSignal => throw new NotImplementedException();

    /// <summary>Set when send-buffer space frees up or an error happens.</summary>
    public AsyncSignal SendSignal => throw new NotImplementedException();

    /// <summary>
    /// Copies received in-order bytes into <paramref name="destination"/>: the count (&gt; 0); 0 at end of stream (FIN received
    /// and everything before it read); -1 when nothing is there yet (wait on <see cref="ReceiveSignal"/>); -2 when the
    /// connection failed (see <see cref="Error"/>). Reading opens the window (a window update goes out when it grew enough).
    /// </summary>
    public int Receive(Span<byte> destination) => throw new NotImplementedException();

    /// <summary>
    /// Queues bytes of <paramref name="source"/> for sending: how many were taken (&gt; 0, maybe fewer than offered); -1 when the
    /// send buffer is full (wait on <see cref="SendSignal"/>); -2 when the connection failed or was shut down for sending.
    /// </summary>
    public int Send(ReadOnlySpan<byte> source) => throw new NotImplementedException();

    /// <summary>Half-close: FIN after everything queued. Receiving goes on.</summary>
    public void ShutdownSend() => throw new NotImplementedException();

    /// <summary>
    /// The application is done with the connection: FIN after everything queued (RST instead when received data was left
    /// unread, RFC 9293 3.10.4 / RFC 2525), and the stack finishes the close by itself (FIN_WAIT, TIME_WAIT).
    /// </summary>
    public void Close() => throw new NotImplementedException();

    /// <summary>Resets the connection now (RST) and fails it with ConnectionAborted.</summary>
    public void Abort() => throw new NotImplementedException();

    /// <summary>Nagle off (RFC 9293 3.7.4): send small segments at once.</summary>
    public bool NoDelay { get => throw new NotImplementedException(); set => throw new NotImplementedException(); }

    /// <summary>Keepalive probes per <see cref="TcpSettings"/> (RFC 9293 3.8.4); off by default.</summary>
    public bool KeepAlive { get => throw new NotImplementedException(); set => throw new NotImplementedException(); }

    public override int Produce(Span<byte> packet, long nowMs) => throw new NotImplementedException();
}
