using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp;

/// <summary>Validation and conversion between the public <see cref="IPEndPoint"/> and the stack's <see cref="UdpEndpoint"/>.</summary>
internal static class TunnelEndpoints
{
    /// <summary>
    /// A destination to connect or send to: port 1-65535 (ArgumentOutOfRangeException otherwise), IPv4-mapped IPv6
    /// becomes IPv4; an unspecified, multicast or broadcast address is SocketException(AddressNotAvailable).
    /// </summary>
    public static UdpEndpoint ToRemote(IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ValidatePort(remote.Port, allowZero: false, nameof(remote));
        return ToRemote(remote.Address, (ushort)remote.Port);
    }

    /// <summary>A destination address (port as given; see <see cref="ToRemote(IPEndPoint)"/> for what is refused).</summary>
    public static UdpEndpoint ToRemote(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"{address} is not an IPv4 or IPv6 address", nameof(address));
        var endpoint = UdpEndpoint.FromIPEndPoint(new IPEndPoint(address, port));
        if (!IsUnicast(endpoint.AddressSpan)) throw new SocketException((int)SocketError.AddressNotAvailable);
        return endpoint;
    }

    /// <summary>A local endpoint to bind or listen on: IPv4 or IPv6 (mapped becomes IPv4), port 0-65535 (1-65535 unless <paramref name="allowZeroPort"/>).</summary>
    public static UdpEndpoint ToLocal(IPEndPoint local, bool allowZeroPort)
    {
        ArgumentNullException.ThrowIfNull(local);
        ValidatePort(local.Port, allowZeroPort, nameof(local));
        if (local.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"{local} is not an IPv4 or IPv6 endpoint", nameof(local));
        return UdpEndpoint.FromIPEndPoint(local);
    }

    public static void ValidatePort(int port, bool allowZero, string parameterName)
    {
        if (port < (allowZero ? 0 : 1) || port > IPEndPoint.MaxPort)
            throw new ArgumentOutOfRangeException(parameterName, port, allowZero ? "a port is 0-65535" : "a port is 1-65535");
    }

    /// <summary>Whether the address (4 or 16 bytes) is all zeros.</summary>
    public static bool IsUnspecified(ReadOnlySpan<byte> address) => address.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Not unspecified, multicast (224/4, ff00::/8) or the limited broadcast: an address one can connect to.</summary>
    public static bool IsUnicast(ReadOnlySpan<byte> address)
    {
        if (IsUnspecified(address)) return false;
        if (address.Length == 4)
            return (address[0] & 0xf0) != 0xe0 && address.IndexOfAnyExcept((byte)0xff) >= 0;
        return address[0] != 0xff;
    }

    /// <summary>The endpoint for the public API (allocates: call once and cache).</summary>
    public static IPEndPoint ToIPEndPoint(in UdpEndpoint endpoint) => endpoint.ToIPEndPoint();

    /// <summary>The unspecified address of a family (listen/bind on every address of it), port given.</summary>
    public static UdpEndpoint Any(AddressFamily family, ushort port) =>
        UdpEndpoint.FromIPEndPoint(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
}
