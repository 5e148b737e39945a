using System.Net;
using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>The one line a user sees when a service cannot bind its address.</summary>
internal static class StartErrors
{
    public static ProxyStartException Bind(EndPoint address, SocketException e, bool inTunnel = false)
    {
        string reason = e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "address already in use",
            SocketError.AddressNotAvailable => inTunnel ? "not an address of the tunnel interface" : "address not available on this machine",
            SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
            SocketError.AddressFamilyNotSupported => "address family not supported",
            _ => e.Message,
        };
        return new ProxyStartException($"{address}: {reason}", e);
    }
}
