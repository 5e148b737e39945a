using System.Net.Sockets;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;

namespace WgSharp.Cli.Wg;

/// <summary>
/// The userspace WireGuard interfaces wg(8) can reach: DIR/IFNAME.sock sockets that accept a
/// connection (wgsharp's and wireguard-go's alike), or refuse this caller one (as wg lists them).
/// Failures become <see cref="WgDeviceException"/> carrying the strerror-style reason wg prints after
/// "Unable to access interface: ".
/// </summary>
internal sealed class WgDevices(string socketDirectory = UapiProtocol.DefaultSocketDirectory)
{
    private const string NoSuchDevice = "No such device";

    public string SocketDirectory { get; } = socketDirectory;

    /// <summary>Interface names in directory order (wg does not sort them either).</summary>
    public List<string> List()
    {
        var names = new List<string>();
        if (!Directory.Exists(SocketDirectory)) return names;
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(SocketDirectory, "*" + UapiProtocol.SocketSuffix).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return names; }
        foreach (string path in entries)
        {
            string name = Path.GetFileName(path)[..^UapiProtocol.SocketSuffix.Length];
            // A socket file nobody listens on is left over from a dead daemon and not listed (wg unlinks it; we leave it be).
            // One the caller may not connect to is listed, as wg lists it: showing it then says "Permission denied".
            if (InterfaceName.IsValid(name) && UapiSocketProbe.Probe(path) is UapiSocketState.Serving or UapiSocketState.AccessDenied) names.Add(name);
        }
        return names;
    }

    /// <summary>
    /// The status by `get=1`, or with <paramref name="extensions"/> by wgsharp's `get=wgsharp` (counters,
    /// descriptions), falling back to `get=1` for a daemon that does not know it (wireguard-go).
    /// </summary>
    public DeviceStatus Get(string interfaceName, bool extensions = false)
    {
        var client = ClientFor(interfaceName);
        try
        {
            if (extensions)
            {
                try { return client.Get(extensions: true); }
                catch (UapiProtocolException) { }
                catch (IOException) { }
            }
            return client.Get();
        }
        catch (UapiProtocolException e) { throw new WgDeviceException(ReasonFor(e)); }
        catch (IOException e) { throw new WgDeviceException(ReasonFor(e)); }
        catch (TimeoutException) { throw new WgDeviceException("Connection timed out"); }
    }

    public void Set(string interfaceName, DeviceUpdate update)
    {
        var client = ClientFor(interfaceName);
        if (update.Peers.Any(p => p.EndpointName is not null) && !IsWgsharp(client))
            foreach (var peer in update.Peers) peer.EndpointName = null; // wireguard-go refuses keys it does not know
        ConfigResult result;
        try { result = client.Set(update); }
        catch (UapiProtocolException e) { throw new WgDeviceException(ReasonFor(e)); }
        catch (IOException e) { throw new WgDeviceException(ReasonFor(e)); }
        catch (TimeoutException) { throw new WgDeviceException("Connection timed out"); }
        if (!result.IsOk) throw new WgDeviceException(Errno.Describe(result.Errno));
    }

    /// <summary>True for a wgsharp daemon (it answers `get=wgsharp`; wireguard-go hangs up).</summary>
    private static bool IsWgsharp(UapiClient client)
    {
        try { client.Get(extensions: true); return true; }
        catch (Exception e) when (e is UapiProtocolException or IOException or TimeoutException) { return false; }
    }

    private UapiClient ClientFor(string interfaceName)
    {
        if (!InterfaceName.IsValid(interfaceName)) throw new WgDeviceException(NoSuchDevice);
        string path = UapiProtocol.SocketPathFor(interfaceName, SocketDirectory);
        if (!File.Exists(path)) throw new WgDeviceException(NoSuchDevice);
        return new UapiClient(path, TimeSpan.FromSeconds(30));
    }

    private static string ReasonFor(UapiProtocolException e) =>
        e.Errno == Errno.EPROTO ? "Protocol error" : Errno.Describe(e.Errno);

    private static string ReasonFor(IOException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "Connection refused",
        SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.HostNotFound } => NoSuchDevice,
        SocketException { SocketErrorCode: SocketError.AccessDenied } => "Permission denied",
        _ => e.Message,
    };
}
