using System.Buffers.Binary;
using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Tcp;

/// <summary>
/// The stack's TCP: demultiplexes segments to connections and listeners (RST to a closed port), opens active
/// connections, owns the ISN secret (RFC 6528) and ephemeral ports, and enforces <see cref="TcpSettings"/>'s limits.
/// Thread-safe: input comes from the device's receive threads, calls from any application thread.
/// </summary>
internal sealed class TcpLayer : IIcmpErrorSink, IDisposable
{
    private const int EphemeralFirst = 49152, EphemeralCount = 65536 - 49152;

    private readonly INetstackHost _host;
    private readonly TcpSettings _settings;
    private readonly IsnGenerator _isn = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<ConnectionKey, TcpConnection> _connections = new();
    private readonly Dictionary<UdpEndpoint, TcpListenerSocket> _listeners = new();
    private int _nextEphemeral;
    private bool _disposed;

    public TcpLayer(INetstackHost host, TcpSettings settings)
    {
        _host = host;
        _settings = settings;
        ChallengeAcks = new ChallengeAckLimiter(settings.ChallengeAcksPerSecond);
        _nextEphemeral = Random.Shared.Next(EphemeralCount);
    }

    internal ChallengeAckLimiter ChallengeAcks { get; }

    internal TcpSettings Settings => _settings;

    /// <summary>A segment for one of our addresses (<paramref name="ip"/>.Payload is the TCP header and data); verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip)
    {
        var bytes = ip.Payload;
        var counters = _host.Counters;
        if (ip.IsFragment || ip.Source.Length != ip.Destination.Length || !TcpSegment.TryParse(bytes, out var segment))
        {
            counters.Increment(NetstackCounter.TcpMalformed);
            return;
        }
        if (!TcpSegmentWriter.ChecksumValid(bytes, ip.Source, ip.Destination))
        {
            counters.Increment(NetstackCounter.TcpChecksumFailed);
            return;
        }
        if (segment.SourcePort == 0 || segment.DestinationPort == 0)
        {
            counters.Increment(NetstackCounter.TcpMalformed);
            return;
        }
        var local = UdpEndpoint.Create(ip.Destination, segment.DestinationPort);
        var remote = UdpEndpoint.Create(ip.Source, segment.SourcePort);
        TcpConnection? connection;
        TcpListenerSocket? listener = null;
        TcpConnection? recycled = null;
        bool limitReached = false, passiveOpen = false;
        long nowMs = _host.NowMs;
        lock (_lock)
        {
            if (_disposed) return;
            if (!_connections.TryGetValue(new ConnectionKey(local, remote), out connection))
            {
                listener = FindListenerLocked(local);
                if (listener != null && (segment.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn)
                {
                    if (_connections.Count >= _settings.MaxConnections) limitReached = true;
                    else if (!listener.TryReserveHalfOpen(out recycled))
                    {
                        counters.Increment(NetstackCounter.TcpSynBacklogFull);
                        return;
                    }
                    else
                    {
                        if (recycled != null) counters.Increment(NetstackCounter.TcpSynBacklogFull);
                        var accepted = new TcpConnection(this, _host, _settings, local, remote, _isn.Next(local, remote, nowMs), _isn.TimestampOffset(local, remote));
                        _connections.Add(accepted.Key, accepted);
                        counters.Increment(NetstackCounter.TcpConnectionsAccepted);
                        listener.TrackHalfOpen(accepted);
                        accepted.StartPassive(listener, segment);
                        passiveOpen = true;
                    }
                }
            }
        }
        if (passiveOpen)
        {
            // Outside the layer's lock: a connection takes its own lock before the layer's.
            recycled?.DropHalfOpen();
            return;
        }
        if (connection != null)
        {
            connection.OnSegment(segment, nowMs);
            return;
        }
        if (limitReached) counters.Increment(NetstackCounter.TcpConnectionLimit);
        else if (listener == null) counters.Increment(NetstackCounter.TcpNoListener);
        RespondWithReset(local, remote, segment);
    }

    /// <summary>RFC 9293 3.10.7.1: the reply to a segment for no connection (never to an RST).</summary>
    private void RespondWithReset(in UdpEndpoint local, in UdpEndpoint remote, in TcpSegment segment)
    {
        if (segment.Has(TcpFlags.Rst)) return;
        _host.Counters.Increment(NetstackCounter.TcpResetsSent);
        if (segment.Has(TcpFlags.Ack)) SendReset(_host, local, remote, segment.Ack, 0, withAck: false);
        else SendReset(_host, local, remote, 0, segment.Seq + (uint)segment.SegmentLength, withAck: true);
    }

    /// <summary>Builds an RST (with ACK when <paramref name="withAck"/>) and queues it as a self-contained packet.</summary>
    internal static void SendReset(INetstackHost host, in UdpEndpoint local, in UdpEndpoint remote, uint seq, uint ack, bool withAck)
    {
        Span<byte> packet = stackalloc byte[IpPacketWriter.IPv6HeaderLength + TcpSegment.MinHeaderLength];
        int ipHeader = IpPacketWriter.HeaderLength(local.AddressSpan);
        var fields = new TcpHeaderFields
        {
            SourcePort = local.Port,
            DestinationPort = remote.Port,
            Seq = seq,
            Ack = withAck ? ack : 0,
            Flags = withAck ? (byte)(TcpFlags.Rst | TcpFlags.Ack) : TcpFlags.Rst,
            WindowScale = -1,
        };
        int tcpLength = TcpSegmentWriter.Write(packet[ipHeader..], fields, 0, local.AddressSpan, remote.AddressSpan);
        IpPacketWriter.WriteHeader(packet, local.AddressSpan, remote.AddressSpan, IpProtocol.Tcp, tcpLength);
        host.TrySendPacket(packet[..(ipHeader + tcpLength)]);
    }

    private TcpListenerSocket? FindListenerLocked(in UdpEndpoint local)
    {
        if (_listeners.TryGetValue(local, out var exact)) return exact;
        var any = UdpEndpoint.Create(local.IsIPv4 ? AnyV4 : AnyV6, local.Port);
        return _listeners.TryGetValue(any, out var wildcard) ? wildcard : null;
    }

    private static ReadOnlySpan<byte> AnyV4 => [0, 0, 0, 0];
    private static ReadOnlySpan<byte> AnyV6 => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <inheritdoc/>
    public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard)
    {
        if (quotedTransport.Length < 8 || quotedSource.Length != quotedDestination.Length || quotedSource.Length is not (4 or 16)) return;
        var local = UdpEndpoint.Create(quotedSource, BinaryPrimitives.ReadUInt16BigEndian(quotedTransport));
        var remote = UdpEndpoint.Create(quotedDestination, BinaryPrimitives.ReadUInt16BigEndian(quotedTransport[2..]));
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(quotedTransport[4..]);
        TcpConnection? connection;
        lock (_lock)
        {
            if (!_connections.TryGetValue(new ConnectionKey(local, remote), out connection)) return;
        }
        connection.OnIcmpError(seq, error, isHard);
    }

    /// <summary>
    /// Starts an active open from <paramref name="local"/> (port 0: an ephemeral port) to <paramref name="remote"/>: the
    /// SYN goes out at once; wait on <see cref="TcpConnection.ConnectSignal"/> until <see cref="TcpConnection.IsEstablished"/>
    /// or <see cref="TcpConnection.Error"/>. Throws SocketException (AddressAlreadyInUse, TooManyOpenSockets) when it cannot start.
    /// </summary>
    public TcpConnection Connect(UdpEndpoint local, UdpEndpoint remote)
    {
        TcpConnection connection;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connections.Count >= _settings.MaxConnections) throw new SocketException((int)SocketError.TooManyOpenSockets);
            if (local.Port == 0)
            {
                bool found = false;
                for (int i = 0; i < EphemeralCount; i++)
                {
                    var candidate = UdpEndpoint.Create(local.AddressSpan, (ushort)(EphemeralFirst + (_nextEphemeral++ % EphemeralCount)));
                    if (_connections.ContainsKey(new ConnectionKey(candidate, remote)) || _listeners.ContainsKey(candidate)) continue;
                    local = candidate;
                    found = true;
                    break;
                }
                if (!found) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            else if (_connections.ContainsKey(new ConnectionKey(local, remote)))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            long nowMs = _host.NowMs;
            connection = new TcpConnection(this, _host, _settings, local, remote, _isn.Next(local, remote, nowMs), _isn.TimestampOffset(local, remote));
            _connections.Add(connection.Key, connection);
        }
        connection.StartConnect();
        return connection;
    }

    /// <summary>
    /// Listens on <paramref name="local"/> (an unspecified address, 0.0.0.0 or ::, listens on every address of that family;
    /// port must not be 0). SocketException(AddressAlreadyInUse) when the port is taken for that address.
    /// </summary>
    public TcpListenerSocket Listen(UdpEndpoint local, int backlog)
    {
        if (local.Port == 0) throw new ArgumentException("a listener needs a port", nameof(local));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_listeners.ContainsKey(local)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            var listener = new TcpListenerSocket(this, local, Math.Min(Math.Max(1, backlog), _settings.MaxAcceptQueue), _settings.SynBacklog);
            _listeners.Add(local, listener);
            return listener;
        }
    }

    /// <summary>Connections in any state but LISTEN.</summary>
    public int ConnectionCount
    {
        get { lock (_lock) return _connections.Count; }
    }

    internal void Remove(TcpConnection connection)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue(connection.Key, out var current) && ReferenceEquals(current, connection))
                _connections.Remove(connection.Key);
        }
    }

    internal void RemoveListener(TcpListenerSocket listener)
    {
        lock (_lock)
        {
            if (_listeners.TryGetValue(listener.LocalEndPoint, out var current) && ReferenceEquals(current, listener))
                _listeners.Remove(listener.LocalEndPoint);
        }
    }

    /// <summary>Aborts every connection and listener (their users see ConnectionAborted / OperationAborted).</summary>
    public void Dispose()
    {
        TcpConnection[] connections;
        TcpListenerSocket[] listeners;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            connections = [.. _connections.Values];
            listeners = [.. _listeners.Values];
        }
        foreach (var listener in listeners) listener.Close();
        foreach (var connection in connections) connection.AbortFromStack(SocketError.ConnectionAborted);
        lock (_lock) _connections.Clear();
    }
}
