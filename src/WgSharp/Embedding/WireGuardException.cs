namespace WgSharp;

/// <summary>
/// A WireGuard interface could not be started, configured or used. <see cref="Reason"/> says why; the
/// message is a short sentence fit for a user. A failed start leaves nothing behind and a failed
/// <see cref="WireGuardInterface.Configure"/> changes nothing.
/// </summary>
public sealed class WireGuardException : Exception
{
    /// <summary>An exception with a reason and a message for users.</summary>
    public WireGuardException(WireGuardErrorReason reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    /// <summary>An exception with a reason, a message for users and the Linux errno behind it.</summary>
    public WireGuardException(WireGuardErrorReason reason, string message, int errno, Exception? innerException = null)
        : this(reason, message, innerException) => Errno = errno;

    /// <summary>What went wrong.</summary>
    public WireGuardErrorReason Reason { get; }

    /// <summary>The Linux errno of the failed system call, when one caused this (for diagnostics only; branch on <see cref="Reason"/>).</summary>
    public int? Errno { get; }
}
