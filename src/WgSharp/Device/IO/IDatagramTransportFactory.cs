namespace WgSharp.Device.IO;

/// <summary>
/// Opens complete datagram transports (bound, marked, in their routing table), so a configuration change
/// builds the new transport first and the device swaps it in only once everything succeeded.
/// </summary>
internal interface IDatagramTransportFactory
{
    /// <summary>
    /// Opens a transport with <paramref name="settings"/>. On failure it throws, having undone whatever it
    /// created (sockets, a routing table's namespace). A SocketException with AddressAlreadyInUse means the
    /// port is taken.
    /// </summary>
    IDatagramTransport Open(TransportSettings settings);
}
