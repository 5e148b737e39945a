using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Netstack.Icmp;
using WgSharp.Packets;

namespace WgSharp.Netstack.Udp;

/// <summary>The stack's UDP: bound sockets by port, ICMP port unreachable for datagrams nobody waits for (rate-limited).</summary>
internal sealed class UdpLayer : IIcmpErrorSink, IDisposable
{
    public const int HeaderLength = 8;
    private const int EphemeralFirst = 49152;
    private const int EphemeralCount = 65536 - EphemeralFirst;

    private readonly INetstackHost _host;
    private readonly UdpSettings _settings;
    private readonly Lock _lock = new();
    // Demux key: the bound address (unspecified for "every address of the family") and port.
    private readonly Dictionary<UdpEndpoint, UdpSocketCore> _byLocal = [];
    private readonly Dictionary<ushort, List<UdpSocketCore>> _byPort = [];
    private int _nextEphemeral = Random.Shared.Next(EphemeralCount);
    private bool _disposed;

    public UdpLayer(INetstackHost host, UdpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        _host = host;
        _settings = settings;
    }

    /// <summary>
    /// Sends ICMP port unreachable for datagrams no socket takes. Set by the stack core after both layers exist (the
    /// ICMP layer is built with this one as its error sink, so it cannot be a constructor argument); null: none sent.
    /// </summary>
    internal IcmpLayer? Icmp { get; set; }

    internal INetstackHost Host => _host;
    internal UdpSettings Settings => _settings;

    /// <summary>A datagram for one of our addresses (<paramref name="ip"/>.Payload: UDP header and data); verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip)
    {
        var udp = ip.Payload;
        if (udp.Length < HeaderLength)
        {
            _host.Counters.Increment(NetstackCounter.UdpMalformed);
            return;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
        if (length < HeaderLength || length > udp.Length || destinationPort == 0)
        {
            _host.Counters.Increment(NetstackCounter.UdpMalformed);
            return;
        }
        udp = udp[..length]; // bytes after the UDP length are not the datagram's (RFC 768)
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(udp[6..]);
        if (checksum == 0 ? ip.IsIPv6 : !ChecksumValid(ip.Source, ip.Destination, udp))
        {
            // IPv4: zero means "no checksum"; IPv6 makes it mandatory (RFC 8200 8.1).
            _host.Counters.Increment(NetstackCounter.UdpChecksumFailed);
            return;
        }

        var socket = Find(ip.Destination, destinationPort);
        if (socket is null)
        {
            _host.Counters.Increment(NetstackCounter.UdpNoSocket);
            Icmp?.SendPortUnreachable(ip.Packet);
            return;
        }
        var remote = UdpEndpoint.Create(ip.Source, BinaryPrimitives.ReadUInt16BigEndian(udp));
        if (!socket.Deliver(remote, udp[HeaderLength..]))
            _host.Counters.Increment(NetstackCounter.UdpReceiveQueueFull);
    }

    /// <summary>Whether <paramref name="udp"/> (header and data) sums to all ones with its pseudo-header.</summary>
    internal static bool ChecksumValid(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> udp)
    {
        ulong sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, udp.Length);
        return InternetChecksum.Fold(InternetChecksum.Add(sum, udp)) == 0xFFFF;
    }

    /// <inheritdoc/>
    public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard)
    {
        if (quotedTransport.Length < 4) return;
        var socket = Find(quotedSource, BinaryPrimitives.ReadUInt16BigEndian(quotedTransport));
        socket?.OnIcmpError(error);
    }

    /// <summary>
    /// Binds <paramref name="local"/> (unspecified address: every address of its family; port 0: an ephemeral port).
    /// SocketException(AddressAlreadyInUse) when taken, (TooManyOpenSockets) beyond the limit.
    /// </summary>
    public UdpSocketCore Bind(UdpEndpoint local)
    {
        // default(UdpEndpoint) is "[::]:0" (the unspecified IPv6 address has no other representation in it).
        if (local.IsEmpty) local = UdpEndpoint.Create(new byte[16], 0);
        bool unspecified = local.AddressSpan.IndexOfAnyExcept((byte)0) < 0;
        if (!unspecified && !_host.IsLocalAddress(local.AddressSpan))
            throw new SocketException((int)SocketError.AddressNotAvailable);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byLocal.Count >= _settings.MaxSockets) throw new SocketException((int)SocketError.TooManyOpenSockets);
            ushort port = local.Port;
            if (port == 0)
            {
                port = PickEphemeral();
                if (port == 0) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            else if (Conflicts(local.AddressSpan, unspecified, port))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            var bound = UdpEndpoint.Create(local.AddressSpan, port);
            var socket = new UdpSocketCore(this, bound, unspecified);
            _byLocal.Add(bound, socket);
            if (!_byPort.TryGetValue(port, out var list)) _byPort.Add(port, list = new List<UdpSocketCore>(1));
            list.Add(socket);
            return socket;
        }
    }

    /// <summary>Closes every socket (their waiters see OperationAborted).</summary>
    public void Dispose()
    {
        UdpSocketCore[] sockets;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            sockets = [.. _byLocal.Values];
        }
        foreach (var socket in sockets) socket.Close();
    }

    internal void Unbind(UdpSocketCore socket)
    {
        lock (_lock)
        {
            if (_byLocal.TryGetValue(socket.LocalEndPoint, out var found) && found == socket) _byLocal.Remove(socket.LocalEndPoint);
            if (_byPort.TryGetValue(socket.LocalEndPoint.Port, out var list))
            {
                list.Remove(socket);
                if (list.Count == 0) _byPort.Remove(socket.LocalEndPoint.Port);
            }
        }
    }

    /// <summary>The socket for a datagram to <paramref name="address"/>:<paramref name="port"/>: bound to it, else to the family's unspecified address, else an IPv4 datagram to a dual-stack [::] socket.</summary>
    private UdpSocketCore? Find(ReadOnlySpan<byte> address, ushort port)
    {
        if (address.Length is not (4 or 16)) return null;
        var exact = UdpEndpoint.Create(address, port);
        lock (_lock)
        {
            if (_byLocal.TryGetValue(exact, out var socket)) return socket;
            if (_byPort.TryGetValue(port, out var list))
            {
                UdpSocketCore? dualStack = null;
                foreach (var candidate in list)
                {
                    if (!candidate.IsUnspecified) continue;
                    if (candidate.LocalEndPoint.IsIPv4 == exact.IsIPv4) return candidate;
                    if (exact.IsIPv4) dualStack = candidate;
                }
                return dualStack;
            }
            return null;
        }
    }

    private bool Conflicts(ReadOnlySpan<byte> address, bool unspecified, ushort port)
    {
        if (!_byPort.TryGetValue(port, out var list)) return false;
        bool isIPv4 = address.Length == 4;
        foreach (var other in list)
        {
            bool otherIPv4 = other.LocalEndPoint.IsIPv4;
            // A [::] socket takes IPv4 too (dual stack), so it conflicts with everything on its port.
            if (other.IsUnspecified && !otherIPv4) return true;
            if (unspecified && !isIPv4) return true;
            if (otherIPv4 != isIPv4) continue;
            if (unspecified || other.IsUnspecified || other.LocalEndPoint.AddressSpan.SequenceEqual(address)) return true;
        }
        return false;
    }

    private ushort PickEphemeral()
    {
        for (int i = 0; i < EphemeralCount; i++)
        {
            int candidate = EphemeralFirst + (_nextEphemeral + i) % EphemeralCount;
            if (!_byPort.ContainsKey((ushort)candidate))
            {
                _nextEphemeral = (_nextEphemeral + i + 1) % EphemeralCount;
                return (ushort)candidate;
            }
        }
        return 0;
    }
}

/// <summary>UDP limits.</summary>
internal sealed record UdpSettings
{
    public int MaxSockets { get; init; } = 4096;

    /// <summary>Bytes of received datagrams queued per socket before new ones are dropped (counted).</summary>
    public int ReceiveQueueBytes { get; init; } = 1 << 20;

    /// <summary>Bytes of datagrams queued per socket for sending before SendTo says NoBufferSpaceAvailable.</summary>
    public int SendQueueBytes { get; init; } = 1 << 20;
}
