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
    public TcpLayer(INetstackHost host, TcpSettings settings) => throw new NotImplementedException("TCP helper");

    /// <summary>A segment for one of our addresses (<paramref name="ip"/>.Payload is the TCP header and data); verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip) => throw new NotImplementedException("TCP helper");

    /// <inheritdoc/>
    public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard) =>
        throw new NotImplementedException("TCP helper");

    /// <summary>
    /// Starts an active open from <paramref name="local"/> (port 0: an ephemeral port) to <paramref name="remote"/>: the
    /// SYN goes out at once; wait on <see cref="TcpConnection.ConnectSignal"/> until <see cref="TcpConnection.IsEstablished"/>
    /// or <see cref="TcpConnection.Error"/>. Throws SocketException (AddressAlreadyInUse, TooManyOpenSockets) when it cannot start.
    /// </summary>
    public TcpConnection Connect(UdpEndpoint local, UdpEndpoint remote) => throw new NotImplementedException("TCP helper");

    /// <summary>
    /// Listens on <paramref name="local"/> (an unspecified address, 0.0.0.0 or ::, listens on every address of that family;
    /// port must not be 0). SocketException(AddressAlreadyInUse) when the port is taken for that address.
    /// </summary>
    public TcpListenerSocket Listen(UdpEndpoint local, int backlog) => throw new NotImplementedException("TCP helper");

    /// <summary>Connections in any state but LISTEN.</summary>
    public int ConnectionCount => throw new NotImplementedException("TCP helper");

    /// <summary>Aborts every connection and listener (their users see ConnectionAborted / OperationAborted).</summary>
    public void Dispose() => throw new NotImplementedException("TCP helper");
}
