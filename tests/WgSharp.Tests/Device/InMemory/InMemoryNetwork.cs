using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>
/// A datagram network inside the test process (wireguard-go's bindtest is the idea): hosts with an address
/// open transports (port → queue), and a datagram sent to an endpoint lands in that transport's queue in
/// order, or is dropped when nobody listens there. <see cref="Filter"/> can drop datagrams on the way.
/// </summary>
internal sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<UdpEndpoint, InMemoryTransport> _bound = new();
    private int _nextPort = 40000;
    private long _dropped;

    /// <summary>Return false to drop a datagram (from, to, bytes); null passes everything.</summary>
    public Func<UdpEndpoint, UdpEndpoint, byte[], bool>? Filter { get; set; }

    /// <summary>Datagrams nobody received (no transport at the destination, or filtered).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public InMemoryHost Host(string address) => new(this, IPAddress.Parse(address));

    internal ushort Bind(InMemoryTransport transport, IPAddress address, ushort port)
    {
        while (true)
        {
            ushort chosen = port != 0 ? port : (ushort)Interlocked.Increment(ref _nextPort);
            if (_bound.TryAdd(Endpoint(address, chosen), transport)) return chosen;
            if (port != 0) throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }
    }

    internal void Move(InMemoryTransport transport, UdpEndpoint from, UdpEndpoint to)
    {
        if (!_bound.TryAdd(to, transport)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
        _bound.TryRemove(new KeyValuePair<UdpEndpoint, InMemoryTransport>(from, transport));
    }

    internal void Unbind(InMemoryTransport transport, UdpEndpoint at) =>
        _bound.TryRemove(new KeyValuePair<UdpEndpoint, InMemoryTransport>(at, transport));

    internal void Deliver(UdpEndpoint from, UdpEndpoint to, ReadOnlySpan<byte> datagram)
    {
        var copy = datagram.ToArray();
        if (Filter is { } filter && !filter(from, to, copy) || !_bound.TryGetValue(to, out var target) || !target.Enqueue(copy, from))
            Interlocked.Increment(ref _dropped);
    }

    internal static UdpEndpoint Endpoint(IPAddress address, ushort port) => UdpEndpoint.FromIPEndPoint(new IPEndPoint(address, port));
}

/// <summary>
/// One machine on an <see cref="InMemoryNetwork"/>: the device's transport factory. Moving the host to a new
/// address moves its open transports with it (roaming). Failures can be switched on to test all-or-nothing changes.
/// </summary>
internal sealed class InMemoryHost(InMemoryNetwork network, IPAddress address) : IDatagramTransportFactory
{
    private readonly List<InMemoryTransport> _open = [];

    public InMemoryNetwork Network => network;
    public IPAddress Address { get; private set; } = address;

    /// <summary>Setting a non-zero fwmark fails (as SO_MARK without CAP_NET_ADMIN does).</summary>
    public bool RefuseFwMark { get; set; }

    /// <summary>Opening a transport in a routing table other than 0 fails.</summary>
    public bool RefuseRoutingTables { get; set; }

    /// <summary>Every transport this host opened and has not closed yet.</summary>
    public IReadOnlyList<InMemoryTransport> OpenTransports { get { lock (_open) return _open.ToList(); } }

    public UdpEndpoint EndpointOf(ushort port) => InMemoryNetwork.Endpoint(Address, port);

    public IDatagramTransport Open(TransportSettings settings)
    {
        if (settings.RTable != 0 && RefuseRoutingTables) throw new SocketException((int)SocketError.NetworkUnreachable);
        var transport = new InMemoryTransport(this, settings.RTable);
        try
        {
            transport.Bind(settings.Port);
            if (settings.FwMark != 0) transport.SetFwMark(settings.FwMark);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
        lock (_open) _open.Add(transport);
        return transport;
    }

    /// <summary>Moves the host (and its open transports) to a new address.</summary>
    public void MoveTo(string newAddress)
    {
        var next = IPAddress.Parse(newAddress);
        lock (_open)
        {
            foreach (var transport in _open) transport.MoveTo(next);
            Address = next;
        }
    }

    internal void Closed(InMemoryTransport transport)
    {
        lock (_open) _open.Remove(transport);
    }
}

/// <summary>An in-memory "socket pair": one queue, reachable for the host's address family only.</summary>
internal sealed class InMemoryTransport : IDatagramTransport
{
    private readonly InMemoryHost _host;
    private readonly BlockingCollection<(byte[] Datagram, UdpEndpoint From)> _queue = new();
    private UdpEndpoint _local;
    private volatile bool _disposed;
    private int _receiveBatches, _sendBatches;

    internal InMemoryTransport(InMemoryHost host, int rtable)
    {
        _host = host;
        RTable = rtable;
    }

    public ushort Port => _local.Port;
    public uint FwMark { get; private set; }
    public int RTable { get; }
    public int BatchSize => 64;
    public UdpEndpoint LocalEndpoint => _local;
    public bool IsDisposed => _disposed;

    /// <summary>Calls of the batch send with more than one datagram (runs sent to one endpoint in one call).</summary>
    public int MultiDatagramSends => Volatile.Read(ref _sendBatches);

    /// <summary>Receives that returned more than one datagram.</summary>
    public int MultiDatagramReceives => Volatile.Read(ref _receiveBatches);

    internal void Bind(ushort port)
    {
        _local = InMemoryNetwork.Endpoint(_host.Address, _host.Network.Bind(this, _host.Address, port));
    }

    internal void MoveTo(IPAddress address)
    {
        var next = InMemoryNetwork.Endpoint(address, _local.Port);
        _host.Network.Move(this, _local, next);
        _local = next;
    }

    internal bool Enqueue(byte[] datagram, UdpEndpoint from)
    {
        try { return !_disposed && _queue.TryAdd((datagram, from)); }
        catch (InvalidOperationException) { return false; } // closed meanwhile
    }

    private Exception? _failNextReceive;

    /// <summary>The next receive throws <paramref name="failure"/> (a socket error nobody expects), once.</summary>
    public void FailNextReceive(Exception failure) => _failNextReceive = failure;

    public int Receive(UdpFamily family, PacketBatch datagrams, bool wait)
    {
        bool mine = (family == UdpFamily.IPv4) == (_host.Address.AddressFamily == AddressFamily.InterNetwork);
        if (!mine || _disposed) return -1;
        if (Interlocked.Exchange(ref _failNextReceive, null) is { } failure) throw failure;
        int count = 0;
        try
        {
            if (!_queue.TryTake(out var first, wait ? Timeout.Infinite : 0)) return wait || _disposed ? -1 : 0;
            Put(datagrams, count++, first);
            while (count < datagrams.Capacity && _queue.TryTake(out var next)) Put(datagrams, count++, next);
        }
        catch (ObjectDisposedException) { }
        catch (InvalidOperationException) { }
        if (count > 1) Interlocked.Increment(ref _receiveBatches);
        datagrams.Count = count;
        return count > 0 ? count : -1;
    }

    private static void Put(PacketBatch datagrams, int slot, (byte[] Datagram, UdpEndpoint From) item)
    {
        item.Datagram.CopyTo(datagrams.Slot(slot));
        datagrams.Lengths[slot] = item.Datagram.Length;
        datagrams.Endpoints[slot] = item.From;
    }

    public SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to)
    {
        if (_disposed) return SocketError.OperationAborted;
        if (count > 1) Interlocked.Increment(ref _sendBatches);
        for (int i = start; i < start + count; i++) _host.Network.Deliver(_local, to, datagrams.Datagram(i));
        return SocketError.Success;
    }

    public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to)
    {
        if (_disposed) return SocketError.OperationAborted;
        _host.Network.Deliver(_local, to, datagram);
        return SocketError.Success;
    }

    public void SetFwMark(uint mark)
    {
        if (mark != 0 && _host.RefuseFwMark) throw new SocketException((int)SocketError.AccessDenied);
        FwMark = mark;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _host.Network.Unbind(this, _local);
        _queue.CompleteAdding();
        _host.Closed(this);
    }
}
