using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// The Linux kernel's TCP and UDP behind the far end: sockets created on a thread inside the peer namespace (so they
/// belong to it) and served from the test process. Each handler gets one accepted connection.
/// </summary>
internal sealed class KernelTcpServer : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _accepted = [];
    private readonly Lock _lock = new();
    private readonly List<Task> _handlers = [];
    private readonly Task _acceptLoop;
    private readonly List<string> _errors = [];

    public KernelTcpServer(NetworkNamespace netns, Func<Socket, Task> handler, int backlog = 128)
    {
        _listener = netns.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(TunnelPeerNamespace.PeerIp, 0));
            socket.Listen(backlog);
            return socket;
        });
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_lock)
                {
                    _accepted.Add(connection);
                    _handlers.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await handler(connection);
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
                        {
                            lock (_lock)
                                _errors.Add(e.Message);
                        }
                    }));
                }
            }
        });
    }

    public int Port { get; }
    public string EndPoint => $"{TunnelPeerNamespace.PeerAddress}:{Port}";

    public int AcceptedCount
    {
        get { lock (_lock) return _accepted.Count; }
    }

    /// <summary>Waits for the handlers started so far (for what they recorded).</summary>
    public void WaitForHandlers(TimeSpan timeout)
    {
        Task[] handlers;
        lock (_lock)
            handlers = [.. _handlers];
        Task.WaitAll(handlers, timeout);
    }

    public string Errors
    {
        get { lock (_lock) return string.Join("; ", _errors); }
    }

    // ---- handlers ----

    /// <summary>Sends <paramref name="bytes"/> of the pattern, then closes (FIN).</summary>
    public static Func<Socket, Task> SendPattern(long bytes) => async socket =>
    {
        using (socket)
        {
            await SendPatternAsync(socket, bytes);
            socket.Shutdown(SocketShutdown.Send);
            // Wait for the client's close so our FIN is acknowledged before the socket goes.
            var sink = new byte[256];
            while (await socket.ReceiveAsync(sink) > 0)
            {
            }
        }
    };

    /// <summary>Sends <paramref name="bytes"/> of the pattern, then resets the connection (close with linger 0: RST).</summary>
    public static Func<Socket, Task> SendThenReset(long bytes) => async socket =>
    {
        await SendPatternAsync(socket, bytes);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    };

    /// <summary>Reads until end of stream, answers the SHA-256 in hex and a newline, closes; the hash goes to <paramref name="received"/>.</summary>
    public static Func<Socket, Task> HashAndReply(List<string> received) => async socket =>
    {
        using (socket)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long total = 0;
            for (int read; (read = await socket.ReceiveAsync(buffer)) > 0; total += read)
                hash.AppendData(buffer, 0, read);
            var hex = Convert.ToHexStringLower(hash.GetHashAndReset());
            lock (received)
                received.Add($"{total} {hex}");
            await socket.SendAsync(Encoding.ASCII.GetBytes(hex + "\n"));
            socket.Shutdown(SocketShutdown.Send);
        }
    };

    /// <summary>Echoes until end of stream (holds the connection as long as the client does).</summary>
    public static Func<Socket, Task> Echo() => async socket =>
    {
        using (socket)
        {
            var buffer = new byte[4096];
            for (int read; (read = await socket.ReceiveAsync(buffer)) > 0;)
                await socket.SendAsync(buffer.AsMemory(0, read));
        }
    };

    private static async Task SendPatternAsync(Socket socket, long bytes)
    {
        for (long sent = 0; sent < bytes;)
        {
            int length = (int)Math.Min(ProbePattern.Block.Length, bytes - sent);
            sent += await socket.SendAsync(ProbePattern.Block.AsMemory(0, length));
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        lock (_lock)
            foreach (var socket in _accepted)
                socket.Dispose();
    }
}

/// <summary>A kernel UDP socket in the peer namespace (or on loopback) that sends every datagram back to where it came from.</summary>
internal sealed class KernelUdpEcho : IDisposable
{
    private readonly Socket _socket;
    private readonly Task _loop;

    public KernelUdpEcho(NetworkNamespace netns)
        : this(netns.Run(() => BoundSocket(TunnelPeerNamespace.PeerIp)))
    {
    }

    /// <summary>The same echo on this machine's loopback (the local service a remote UDP forward leads to).</summary>
    public static KernelUdpEcho OnLoopback() => new(BoundSocket(IPAddress.Loopback));

    private static Socket BoundSocket(IPAddress address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private KernelUdpEcho(Socket socket)
    {
        _socket = socket;
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _loop = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveFromAsync(buffer, any);
                    Interlocked.Increment(ref _echoed);
                    LastSender = (IPEndPoint)result.RemoteEndPoint;
                    await _socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), result.RemoteEndPoint);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
    }

    private int _echoed;
    public int Port { get; }
    public int Echoed => Volatile.Read(ref _echoed);

    /// <summary>Where the latest datagram came from.</summary>
    public IPEndPoint? LastSender { get; private set; }
    public string EndPoint => $"{TunnelPeerNamespace.PeerAddress}:{Port}";

    public void Dispose()
    {
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

/// <summary>The probe's upload pattern (tests/WgSharp.UserspaceProbe/Pattern.cs): byte i is i mod 251.</summary>
internal static class ProbePattern
{
    public static readonly byte[] Block = Make(251 * 256);

    private static byte[] Make(int length)
    {
        var block = new byte[length];
        for (int i = 0; i < length; i++)
            block[i] = (byte)(i % 251);
        return block;
    }

    /// <summary>SHA-256 (hex) of the first <paramref name="bytes"/> bytes of the pattern.</summary>
    public static string Sha256(long bytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long done = 0; done < bytes;)
        {
            int length = (int)Math.Min(Block.Length, bytes - done);
            hash.AppendData(Block, 0, length);
            done += length;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
