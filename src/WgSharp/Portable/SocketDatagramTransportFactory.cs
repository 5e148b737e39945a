using WgSharp.Device.IO;

namespace WgSharp.Portable;

/// <summary>
/// Opens datagram transports on plain <see cref="System.Net.Sockets.Socket"/>s: the path every system takes (Windows,
/// macOS, Linux with its fast paths off). No fwmark and no routing tables (they are Linux's).
/// </summary>
internal sealed class SocketDatagramTransportFactory : IDatagramTransportFactory
{
    public IDatagramTransport Open(TransportSettings settings) => throw new NotImplementedException("portability helper");
}
