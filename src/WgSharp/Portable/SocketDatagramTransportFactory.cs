using WgSharp.Device.IO;

namespace WgSharp.Portable;

/// <summary>
/// Opens datagram transports on plain <see cref="System.Net.Sockets.Socket"/>s: the path every system takes (Windows,
/// macOS, Linux with its fast paths off). No fwmark and no routing tables (they are Linux's).
/// </summary>
internal sealed class SocketDatagramTransportFactory(int batchSize = SocketDatagramTransport.DefaultBatchSize) : IDatagramTransportFactory
{
    /// <exception cref="PlatformNotSupportedException">A fwmark or a routing table was asked for.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The port is in use (AddressAlreadyInUse), or no socket could be bound.</exception>
    public IDatagramTransport Open(TransportSettings settings)
    {
        if (settings.RTable != 0) throw new PlatformNotSupportedException("routing tables (wgrtable) need Linux's UDP sockets");
        if (settings.FwMark != 0) throw new PlatformNotSupportedException("fwmark needs Linux's UDP sockets");
        return SocketDatagramTransport.Bind(settings.Port, batchSize);
    }
}
