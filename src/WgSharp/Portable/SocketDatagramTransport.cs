using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Portable;

/// <summary>
/// A device's datagram side on plain <see cref="Socket"/>s, for every system: one UDP socket per address family
/// (the IPv6 one IPv6-only), both bound to the same port. A receive blocks in one ReceiveFrom and then takes what
/// else is already queued, up to <see cref="BatchSize"/>; a send is one SendTo per datagram. No fwmark, no offloads.
/// </summary>
/// <remarks>
/// Per datagram nothing is allocated: the SocketAddress-based ReceiveFrom/SendTo overloads write into socket
/// addresses made once (receive: one per family, as one thread per family receives; send: one per thread).
/// </remarks>
internal sealed class SocketDatagramTransport : IDatagramTransport
{
    /// <summary>Datagrams one receive may return: enough to amortise a wake-up, few enough to keep batches small.</summary>
    public const int DefaultBatchSize = 32;

    // A random port free for IPv4 may be taken for IPv6: that many tries before giving up.
    private const int BindAttempts = 100;

    // Windows' WSAIoctl code that stops an ICMP port unreachable from failing the socket's next receive (WSAECONNRESET).
    private const int SioUdpConnReset = unchecked((int)0x9800000C);

    [ThreadStatic] private static SocketAddress? t_send4, t_send6;

    private readonly Socket? _v4, _v6;
    private readonly SocketAddress _receive4 = new(AddressFamily.InterNetwork);
    private readonly SocketAddress _receive6 = new(AddressFamily.InterNetworkV6);
    private volatile bool _disposed;

    private SocketDatagramTransport(Socket? v4, Socket? v6, ushort port, int batchSize)
    {
        _v4 = v4;
        _v6 = v6;
        Port = port;
        BatchSize = batchSize;
    }

    /// <summary>
    /// Binds a socket per available family to <paramref name="port"/> (0: one the OS picks, free for both families).
    /// Throws <see cref="SocketException"/> (AddressAlreadyInUse) when the port is taken, AddressFamilyNotSupported
    /// when the host has neither family.
    /// </summary>
    public static SocketDatagramTransport Bind(ushort port, int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (int attempt = 0; ; attempt++)
        {
            Socket? v4 = null, v6 = null;
            try
            {
                v4 = TryOpen(AddressFamily.InterNetwork, port);
                ushort bound = v4 != null ? (ushort)((IPEndPoint)v4.LocalEndPoint!).Port : port;
                v6 = TryOpen(AddressFamily.InterNetworkV6, bound);
                if (v4 == null && v6 == null) throw new SocketException((int)SocketError.AddressFamilyNotSupported);
                if (v4 == null) bound = (ushort)((IPEndPoint)v6!.LocalEndPoint!).Port;
                return new SocketDatagramTransport(v4, v6, bound, batchSize);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && port == 0 && attempt < BindAttempts)
            {
                v4?.Dispose(); // the port the OS gave IPv4 is taken for IPv6: another one
                v6?.Dispose();
            }
            catch
            {
                v4?.Dispose();
                v6?.Dispose();
                throw;
            }
        }
    }

    /// <summary>A bound socket, or null when the host does not have this address family.</summary>
    private static Socket? TryOpen(AddressFamily family, ushort port)
    {
        Socket socket;
        try { socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported)
        {
            return null;
        }
        try
        {
            if (family == AddressFamily.InterNetworkV6) socket.DualMode = false; // IPv6 only, so the IPv4 socket can own the same port
            if (OperatingSystem.IsWindows()) socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
            try
            {
                socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
            }
            catch (SocketException e) when (family == AddressFamily.InterNetworkV6 && e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                socket.Dispose(); // IPv6 is off on every interface
                return null;
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ushort Port { get; }

    /// <summary>Always 0: marks are Linux's (SO_MARK).</summary>
    public uint FwMark => 0;

    public int BatchSize { get; }

    /// <summary>Whether the host gave this transport a socket of <paramref name="family"/>.</summary>
    public bool Has(UdpFamily family) => SocketOf(family) != null;

    private Socket? SocketOf(UdpFamily family) => family == UdpFamily.IPv4 ? _v4 : _v6;

    public int Receive(UdpFamily family, PacketBatch datagrams, bool wait)
    {
        datagrams.Count = 0;
        var socket = SocketOf(family);
        if (socket == null || _disposed) return -1;
        var address = family == UdpFamily.IPv4 ? _receive4 : _receive6;
        int limit = Math.Min(BatchSize, datagrams.Capacity), count = 0;
        var lengths = datagrams.Lengths;
        var endpoints = datagrams.Endpoints;
        try
        {
            while (count < limit)
            {
                // The first datagram is waited for (when asked to); after it only what is queued already is taken.
                if ((count > 0 || !wait) && socket.Available == 0) break;
                int length = ReceiveOne(socket, datagrams.Slot(count), address);
                if (length <= 0) continue; // empty or dropped (too long, an ICMP report): not a datagram for the device
                lengths[count] = length;
                endpoints[count] = UdpEndpoint.ReadFrom(address);
                count++;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && _disposed)
        {
            return -1; // closed under a blocked receive
        }
        datagrams.Count = count;
        return count;
    }

    /// <summary>One datagram into <paramref name="slot"/>: its length, or 0 for one to skip.</summary>
    private static int ReceiveOne(Socket socket, Span<byte> slot, SocketAddress address)
    {
        address.Size = address.Family == AddressFamily.InterNetwork ? UdpEndpoint.SockAddrIn4Size : UdpEndpoint.SockAddrIn6Size;
        try
        {
            return socket.ReceiveFrom(slot, SocketFlags.None, address);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset
            or SocketError.ConnectionRefused or SocketError.Interrupted)
        {
            // Longer than a slot (dropped), or an ICMP error report / signal: none is fatal for an unconnected socket.
            return 0;
        }
    }

    public SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to)
    {
        var result = SocketError.Success;
        for (int i = start; i < start + count; i++)
        {
            var error = Send(datagrams.Datagram(i), to);
            if (result == SocketError.Success) result = error;
        }
        return result;
    }

    public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to)
    {
        if (to.IsEmpty) return SocketError.DestinationAddressRequired;
        var socket = to.IsIPv4 ? _v4 : _v6;
        if (socket == null) return SocketError.AddressFamilyNotSupported;
        if (_disposed) return SocketError.OperationAborted;
        var address = to.IsIPv4
            ? t_send4 ??= new SocketAddress(AddressFamily.InterNetwork)
            : t_send6 ??= new SocketAddress(AddressFamily.InterNetworkV6);
        to.WriteTo(address);
        try
        {
            socket.SendTo(datagram, SocketFlags.None, address);
            return SocketError.Success;
        }
        catch (SocketException e) { return e.SocketErrorCode; }
        catch (ObjectDisposedException) { return SocketError.OperationAborted; } // raced with Dispose
    }

    /// <summary>Only 0 (no mark) is possible: marks are Linux's.</summary>
    /// <exception cref="PlatformNotSupportedException">A non-zero mark.</exception>
    public void SetFwMark(uint mark)
    {
        if (mark != 0) throw new PlatformNotSupportedException("fwmark needs Linux's UDP sockets (set UsePlatformFastPaths on Linux)");
    }

    /// <summary>Closes the sockets; blocked receivers return -1.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _v4?.Dispose();
        _v6?.Dispose();
    }
}
