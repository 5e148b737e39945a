using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WgSharp.Tests.Proxy;

/// <summary>A SOCKS5 client written by hand, byte by byte, so tests can also send what a real client never would.</summary>
internal sealed class Socks5TestClient : IDisposable
{
    private Socks5TestClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    public static async Task<Socks5TestClient> OpenAsync(IPEndPoint proxy, CancellationToken ct)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy, ct);
        return new Socks5TestClient(socket);
    }

    public Task SendAsync(byte[] bytes, CancellationToken ct) => Socket.SendAsync(bytes, SocketFlags.None, ct).AsTask();

    /// <summary>Exactly <paramref name="count"/> bytes, or fewer when the proxy closed first.</summary>
    public async Task<byte[]> ReceiveAsync(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        int have = 0;
        while (have < count)
        {
            int n;
            try { n = await Socket.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, ct); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { n = 0; }
            if (n == 0) break;
            have += n;
        }
        return buffer[..have];
    }

    /// <summary>True when the proxy closed the connection (end of stream or reset) without sending anything more.</summary>
    public async Task<bool> ClosedAsync(CancellationToken ct) => (await ReceiveAsync(1, ct)).Length == 0;

    /// <summary>Greets with no-auth (or username/password when given) and authenticates; the method the proxy chose.</summary>
    public async Task<byte> NegotiateAsync(CancellationToken ct, string? user = null, string? password = null)
    {
        await SendAsync(user is null ? [5, 1, 0] : [5, 1, 2], ct);
        var choice = await ReceiveAsync(2, ct);
        if (choice.Length < 2 || choice[1] != 2 || user is null) return choice.Length < 2 ? (byte)0xfe : choice[1];
        var u = Encoding.UTF8.GetBytes(user);
        var p = Encoding.UTF8.GetBytes(password!);
        await SendAsync([1, (byte)u.Length, .. u, (byte)p.Length, .. p], ct);
        var status = await ReceiveAsync(2, ct);
        return status.Length == 2 && status[1] == 0 ? (byte)2 : (byte)0xfd;
    }

    /// <summary>Sends a request and reads the reply: its code and bound address.</summary>
    public async Task<(byte Reply, IPEndPoint Bound)> RequestAsync(byte command, EndPoint destination, CancellationToken ct)
    {
        await SendAsync([5, command, 0, .. Address(destination)], ct);
        var head = await ReceiveAsync(4, ct);
        if (head.Length < 4) throw new IOException("the proxy closed instead of replying");
        int addressLength = head[3] == 4 ? 16 : 4;
        var rest = await ReceiveAsync(addressLength + 2, ct);
        var bound = new IPEndPoint(new IPAddress(rest.AsSpan(0, addressLength)), BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(addressLength)));
        return (head[1], bound);
    }

    /// <summary>ATYP, address, port as a SOCKS5 message carries them.</summary>
    public static byte[] Address(EndPoint endPoint)
    {
        byte[] port;
        switch (endPoint)
        {
            case IPEndPoint ip:
                port = [(byte)(ip.Port >> 8), (byte)ip.Port];
                return [ip.AddressFamily == AddressFamily.InterNetwork ? (byte)1 : (byte)4, .. ip.Address.GetAddressBytes(), .. port];
            case DnsEndPoint name:
                port = [(byte)(name.Port >> 8), (byte)name.Port];
                var host = Encoding.ASCII.GetBytes(name.Host);
                return [3, (byte)host.Length, .. host, .. port];
            default:
                throw new ArgumentException("an IP or a name", nameof(endPoint));
        }
    }

    public void Dispose() => Socket.Dispose();
}
