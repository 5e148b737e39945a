using System.Runtime.Versioning;
using WgSharp.Linux;

namespace WgSharp.Control.Uapi;

/// <summary>What is at an interface's control socket path, found by connecting to it.</summary>
[SupportedOSPlatform("linux")]
internal enum UapiSocketState
{
    /// <summary>No socket file: no daemon for this interface.</summary>
    Absent,
    /// <summary>A daemon accepts connections: the interface is running.</summary>
    Serving,
    /// <summary>The file is there but nobody answers: its daemon died (kill -9, crash) without removing it.</summary>
    Stale,
    /// <summary>The caller may not connect (an unprivileged user and a root-only socket or directory).</summary>
    AccessDenied,
}

/// <summary>
/// The one rule for "does a daemon serve this socket": a connection that is accepted. The file
/// existing is not enough, since a daemon killed with SIGKILL leaves it behind.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class UapiSocketProbe
{
    public static UapiSocketState Probe(string socketPath)
    {
        using var connection = UnixStreamSocket.TryConnect(socketPath, out int errno);
        if (connection != null) return UapiSocketState.Serving;
        if (errno is Errno.EACCES or Errno.EPERM) return UapiSocketState.AccessDenied;
        return File.Exists(socketPath) ? UapiSocketState.Stale : UapiSocketState.Absent;
    }

    public static bool IsServing(string socketPath) => Probe(socketPath) == UapiSocketState.Serving;
}
