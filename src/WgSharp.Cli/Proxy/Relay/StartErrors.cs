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

    /// <summary>
    /// Binds a tunnel-side socket or listener for <paramref name="listen"/> (the unspecified address: every tunnel
    /// address, through <paramref name="anyAddress"/>; else that address, through <paramref name="oneAddress"/>),
    /// turning a refusal into the one line a user sees.
    /// </summary>
    public static T BindInTunnel<T>(IPEndPoint listen, Func<int, T> anyAddress, Func<IPEndPoint, T> oneAddress)
    {
        try
        {
            return listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
                ? anyAddress(listen.Port)
                : oneAddress(listen);
        }
        catch (SocketException e)
        {
            throw Bind(listen, e, inTunnel: true);
        }
        catch (ArgumentException e)
        {
            throw new ProxyStartException($"{listen}: {e.Message}", e);
        }
    }
}
