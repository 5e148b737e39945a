using System.Net;
using System.Net.Sockets;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>Ports the kernel just handed out and took back, for daemons that must be told a port (never a fixed one: test runs overlap).</summary>
public static class FreePorts
{
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int Udp()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
