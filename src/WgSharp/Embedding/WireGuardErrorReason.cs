namespace WgSharp;

/// <summary>Why a <see cref="WireGuardException"/> was thrown: what went wrong, in words a program can branch on.</summary>
public enum WireGuardErrorReason
{
    /// <summary>Something failed that none of the other reasons describes; the message says what.</summary>
    Unknown = 0,

    /// <summary>The options or configuration are invalid (interface name, MTU, keepalive, a prefix...).</summary>
    InvalidConfiguration,

    /// <summary>The process lacks CAP_NET_ADMIN or cannot open /dev/net/tun or the control socket directory.</summary>
    PermissionDenied,

    /// <summary>An interface with this name exists and is not a TUN interface this process may attach to.</summary>
    InterfaceExists,

    /// <summary>The network namespace named in <see cref="WireGuardInterfaceOptions.NetworkNamespace"/> does not exist.</summary>
    NamespaceNotFound,

    /// <summary>The UDP listen port is taken by another socket.</summary>
    PortInUse,

    /// <summary>Another running daemon serves the control socket of this interface name.</summary>
    ControlSocketInUse,

    /// <summary>The kernel ran out of memory or buffers, or a limit (peers, allowed IPs) was reached.</summary>
    OutOfResources,

    /// <summary>The interface is gone (deleted from outside, or disposed) and cannot be used any more.</summary>
    InterfaceGone,

    /// <summary>A system call failed in a way none of the other reasons covers; <see cref="WireGuardException.Errno"/> has its number.</summary>
    SystemError,
}
