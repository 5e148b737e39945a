using System.Net.Sockets;
using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// sd_notify(3) for a `Type=notify` unit: one datagram to the unix socket systemd names in
/// $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@'). Without the variable, or
/// when the socket cannot be reached, nothing happens: a daemon never fails because systemd is absent.
/// </summary>
internal static class SystemdNotify
{
    private const string SocketVariable = "NOTIFY_SOCKET";

    /// <summary>Tells systemd the service is up (the control socket answers).</summary>
    public static void Ready() => Send("READY=1");

    /// <summary>Tells systemd the service is shutting down on its own.</summary>
    public static void Stopping() => Send("STOPPING=1");

    private static void Send(string state)
    {
        string? address = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(address) || (address[0] != '/' && address[0] != '@')) return;
        // Abstract names start with a NUL byte on the wire; systemd writes it as '@'.
        if (address[0] == '@') address = "\0" + address[1..];
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(address));
        }
        catch (SocketException) { }
    }
}
