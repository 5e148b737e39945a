using System.Net.Sockets;
using System.Runtime.Versioning;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp;

/// <summary>Turns what the layers below throw or return (errno values, IO exceptions) into a <see cref="WireGuardException"/> with a reason.</summary>
internal static class EmbeddingErrors
{

    /// <summary>A failure of step <paramref name="what"/> ("cannot create the TUN interface wg0").</summary>
    public static WireGuardException From(Exception e, string what) => e switch
    {
        WireGuardException w => w,
        UapiSocketInUseException => new(WireGuardErrorReason.ControlSocketInUse, $"{what}: another running daemon serves its control socket", e),
        SocketException s when s.SocketErrorCode == SocketError.AddressAlreadyInUse =>
            new(WireGuardErrorReason.PortInUse, $"{what}: the UDP port is in use", s.ErrorCode, e),
        SocketException s when s.SocketErrorCode == SocketError.AccessDenied =>
            new(WireGuardErrorReason.PermissionDenied, $"{what}: permission denied", s.ErrorCode, e),
        LinuxIoException io when OperatingSystem.IsLinux() => FromErrno(io.Errno, what, e),
        UnauthorizedAccessException => new(WireGuardErrorReason.PermissionDenied, $"{what}: permission denied", e),
        ArgumentException => new(WireGuardErrorReason.InvalidConfiguration, $"{what}: {FirstSentence(e.Message)}", e),
        _ => new(WireGuardErrorReason.Unknown, $"{what}: {FirstSentence(e.Message)}", e),
    };

    /// <summary>A failed <see cref="IDeviceControl.Apply"/>: its errno and message.</summary>
    public static WireGuardException FromConfigResult(ConfigResult result) =>
        new(result.Errno switch
        {
            Errno.EINVAL or Errno.EPROTO => WireGuardErrorReason.InvalidConfiguration,
            Errno.EADDRINUSE => WireGuardErrorReason.PortInUse,
            Errno.ENOMEM or Errno.ENOBUFS => WireGuardErrorReason.OutOfResources,
            Errno.ENOENT => WireGuardErrorReason.InterfaceGone,
            _ => WireGuardErrorReason.SystemError,
        }, "cannot apply the configuration: " + (result.Message ?? "error " + result.Errno), result.Errno);

    [SupportedOSPlatform("linux")]
    private static WireGuardException FromErrno(int errno, string what, Exception e) => errno switch
    {
        Errno.EPERM or Errno.EACCES => new(WireGuardErrorReason.PermissionDenied, $"{what}: permission denied (CAP_NET_ADMIN needed)", errno, e),
        Errno.EBUSY or Errno.EEXIST => new(WireGuardErrorReason.InterfaceExists, $"{what}: an interface of that name exists and is not ours to attach to", errno, e),
        Errno.ENOENT => new(WireGuardErrorReason.NamespaceNotFound, $"{what}: no such file (network namespace or /dev/net/tun)", errno, e),
        Errno.EADDRINUSE => new(WireGuardErrorReason.PortInUse, $"{what}: the UDP port is in use", errno, e),
        Errno.ENOMEM or Errno.ENOBUFS => new(WireGuardErrorReason.OutOfResources, $"{what}: out of memory", errno, e),
        _ => new(WireGuardErrorReason.SystemError, $"{what}: {Errno.Describe(errno)}", errno, e),
    };

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).ReplaceLineEndings(" ");
    }
}
