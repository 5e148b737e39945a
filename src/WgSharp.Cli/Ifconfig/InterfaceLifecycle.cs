using System.Diagnostics;
using WgSharp.Cli.Daemon;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Creating and destroying interfaces: an interface exists exactly while its daemon serves the
/// control socket, so the daemon is the one holder of the truth. A socket file nobody answers
/// is the remains of a daemon that died (kill -9): it counts as no interface, and create, the
/// launcher and destroy clear it away.
/// </summary>
internal static class InterfaceLifecycle
{
    private static readonly TimeSpan DestroyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What serves IFNAME's control socket.</summary>
    public static UapiSocketState StateOf(string interfaceName) => UapiSocketProbe.Probe(UapiProtocol.SocketPathFor(interfaceName));

    /// <summary>True if a daemon accepts connections on IFNAME's control socket.</summary>
    public static bool IsServing(string interfaceName) => StateOf(interfaceName) == UapiSocketState.Serving;

    /// <summary>Starts the daemon (detached) and returns once it serves; 0 on success.</summary>
    public static int Create(string interfaceName) => DaemonLauncher.Launch(interfaceName, foreground: false);

    /// <summary>
    /// Clears what a dead daemon left: its stale socket file and, if one is still there, its TUN link.
    /// Nothing happens while a daemon serves the socket.
    /// </summary>
    public static void RemoveRemains(string interfaceName)
    {
        if (StateOf(interfaceName) != UapiSocketState.Stale) return;
        if (InterfaceLocator.TryFind(interfaceName, out var netns)) TryDeleteLink(netns, interfaceName, out _);
        TryDelete(UapiProtocol.SocketPathFor(interfaceName));
    }

    /// <summary>
    /// Stops the daemon by deleting its link (it notices and exits, removing its socket); if the
    /// link is already gone, removing the socket file stops it too. Returns once the socket is gone;
    /// then the rdomain namespaces wgsharp created and nothing uses any more are removed.
    /// </summary>
    public static bool Destroy(string interfaceName, out string? error)
    {
        error = null;
        string socket = UapiProtocol.SocketPathFor(interfaceName);
        if (InterfaceLocator.TryFind(interfaceName, out var netns))
        {
            if (!TryDeleteLink(netns, interfaceName, out string? why) && InterfaceLocator.TryFind(interfaceName, out _))
            {
                error = $"{interfaceName}: SIOCIFDESTROY: {why}";
                return false;
            }
        }
        var clock = Stopwatch.StartNew();
        while (File.Exists(socket) && clock.Elapsed < DestroyTimeout)
        {
            // A daemon whose link vanished on its own (or a stale socket file): removing the file ends it.
            if (clock.Elapsed > TimeSpan.FromSeconds(3) || !IsServing(interfaceName))
                TryDelete(socket);
            Thread.Sleep(20);
        }
        if (File.Exists(socket))
        {
            error = $"{interfaceName}: the daemon did not stop";
            return false;
        }
        RDomains.RemoveUnusedCreated();
        return true;
    }

    /// <summary>Deletes the link (netlink, in-process); false with the one-line reason when the kernel refused.</summary>
    private static bool TryDeleteLink(string? netns, string interfaceName, out string? why)
    {
        why = null;
        try
        {
            NetNs.DeleteLink(netns, interfaceName);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            why = e.Message;
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
