using System.Net.Sockets;

namespace WgSharp.Device.IO;

/// <summary>
/// The datagram side of a device: its bound UDP sockets (one per address family, one port). On Linux real
/// sockets; in tests an in-memory network. Made by an <see cref="IDatagramTransportFactory"/>, already
/// bound and configured, so a device replaces a whole transport rather than reconfiguring one in place.
/// </summary>
/// <remarks>
/// One thread per family receives; any thread may send. Disposing makes blocked receivers return -1.
/// </remarks>
internal interface IDatagramTransport : IDisposable
{
    /// <summary>The bound port.</summary>
    ushort Port { get; }

    /// <summary>The fwmark the sockets carry (0 for none).</summary>
    uint FwMark { get; }

    /// <summary>How many datagrams one <see cref="Receive"/> may return.</summary>
    int BatchSize { get; }

    /// <summary>
    /// Blocks until at least one datagram arrives on the socket of <paramref name="family"/> and fills slots
    /// 0.. of <paramref name="datagrams"/> (datagram view, <see cref="PacketBatch.Datagram"/>) with their sources
    /// in <see cref="PacketBatch.Endpoints"/> (and, where the platform tells, the local address each arrived at in
    /// <see cref="PacketBatch.LocalAddresses"/>, default otherwise), setting <see cref="PacketBatch.Count"/>. Returns the count, or -1
    /// when the transport is disposed or has no socket of that family. With <paramref name="wait"/> false it
    /// does not block: 0 when nothing is queued.
    /// </summary>
    int Receive(UdpFamily family, PacketBatch datagrams, bool wait);

    /// <summary>
    /// Sends slots [start, start + count) of <paramref name="datagrams"/> (datagram view) to one endpoint,
    /// in order, with as few system calls as the platform allows. Returns the first error, if any.
    /// </summary>
    SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to);

    /// <summary>Sends one datagram (handshake messages, cookie replies, single transport messages).</summary>
    SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to);

    /// <summary>
    /// As <see cref="Send(PacketBatch, int, int, in UdpEndpoint)"/>, leaving from the local address
    /// <paramref name="from"/> (what <see cref="PacketBatch.LocalAddresses"/> said a datagram of this peer arrived
    /// at; default: the kernel picks by route). When that address is no longer usable (gone from the host) the
    /// transport sends without it and sets <paramref name="from"/> to default, so the caller forgets it.
    /// A transport that cannot choose the source ignores it (this default).
    /// </summary>
    SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to, ref LocalAddress from) =>
        Send(datagrams, start, count, to);

    /// <summary>As <see cref="Send(ReadOnlySpan{byte}, in UdpEndpoint)"/> from the local address <paramref name="from"/> (see the batch overload).</summary>
    SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to, ref LocalAddress from) => Send(datagram, to);

    /// <summary>
    /// Changes the fwmark on the live sockets (the port stays, so this cannot be done on a new transport).
    /// All or nothing: on failure it throws and the sockets keep their old mark.
    /// </summary>
    void SetFwMark(uint mark);
}
