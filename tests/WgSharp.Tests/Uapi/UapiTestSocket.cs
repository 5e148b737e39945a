using System.Net.Sockets;
using System.Text;

namespace WgSharp.Tests.Uapi;

/// <summary>A raw client for sending arbitrary bytes (including garbage) to a UAPI socket.</summary>
internal sealed class UapiTestSocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public UapiTestSocket(string path)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _socket.ReceiveTimeout = 10_000;
    }

    public void Send(string text) => Send(Encoding.UTF8.GetBytes(text));
    public void Send(byte[] bytes) => _socket.Send(bytes);
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads one reply: everything up to and including the first blank line ("\n\n").</summary>
    public string ReadReply()
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (!sb.ToString().EndsWith("\n\n", StringComparison.Ordinal))
        {
            if (_socket.Receive(one) == 0) throw new IOException($"connection closed after '{sb}'");
            sb.Append((char)one[0]);
        }
        return sb.ToString();
    }

    /// <summary>True when the server closed the connection (after any data it still had to send is drained).</summary>
    public bool IsClosedByPeer()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = _socket.Receive(buffer);
                if (n == 0) return true;
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset) { return true; }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut) { return false; }
    }

    public void Dispose() => _socket.Dispose();
}
