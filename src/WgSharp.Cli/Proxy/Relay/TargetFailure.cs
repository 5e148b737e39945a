using System.Net.Sockets;

namespace WgSharp.Cli.Proxy.Relay;

/// <summary>Why a target behind the tunnel could not be reached, in the terms the proxy protocols reply with.</summary>
internal enum TargetFailure
{
    /// <summary>Anything else (a general failure).</summary>
    Other,
    /// <summary>The target answered with a reset (nobody listens there).</summary>
    Refused,
    /// <summary>No route: no interface address of that family, or no peer's allowed IPs cover it.</summary>
    NetworkUnreachable,
    /// <summary>An ICMP host unreachable.</summary>
    HostUnreachable,
    /// <summary>No answer in time (the connect timeout, or the stack's own).</summary>
    TimedOut,
    /// <summary>The name does not resolve (or no DNS server answered).</summary>
    NameNotFound,
}

/// <summary>Maps the exceptions of <see cref="WireGuardNetwork"/> to a <see cref="TargetFailure"/>.</summary>
internal static class TargetFailures
{
    public static TargetFailure Classify(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => TargetFailure.Refused,
            SocketError.NetworkUnreachable or SocketError.NetworkDown => TargetFailure.NetworkUnreachable,
            SocketError.HostUnreachable or SocketError.HostDown => TargetFailure.HostUnreachable,
            SocketError.TimedOut => TargetFailure.TimedOut,
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => TargetFailure.NameNotFound,
            _ => TargetFailure.Other,
        },
        IOException { InnerException: SocketException inner } => Classify(inner),
        _ => TargetFailure.Other,
    };

    /// <summary>A short text for the debug log and error bodies (never a stack trace).</summary>
    public static string Describe(TargetFailure failure) => failure switch
    {
        TargetFailure.Refused => "connection refused",
        TargetFailure.NetworkUnreachable => "network unreachable",
        TargetFailure.HostUnreachable => "host unreachable",
        TargetFailure.TimedOut => "timed out",
        TargetFailure.NameNotFound => "name not found",
        _ => "failed",
    };
}
