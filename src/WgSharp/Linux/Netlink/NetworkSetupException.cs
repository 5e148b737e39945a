using System.Runtime.Versioning;

namespace WgSharp.Linux.Netlink;

/// <summary>
/// A namespace, link, address or route change the kernel refused, as one line: what was attempted, the error text
/// and the errno name, e.g. "cannot create network namespace 'x': operation not permitted (EPERM)". An
/// <see cref="InvalidOperationException"/>, as the failed `ip` command it replaces was.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class NetworkSetupException : InvalidOperationException
{
    public NetworkSetupException(string attempted, int errno, string? kernelDetail = null)
        : base(Describe(attempted, errno, kernelDetail))
    {
        Errno = errno;
        HResult = errno;
    }

    /// <summary>A failure that has no errno (a malformed or missing reply).</summary>
    public NetworkSetupException(string attempted, string reason) : base($"cannot {attempted}: {reason}") { }

    /// <summary>The Linux errno, 0 when the failure had none.</summary>
    public int Errno { get; }

    private static string Describe(string attempted, int errno, string? kernelDetail)
    {
        string text = WgSharp.Errno.Describe(errno);
        if (text.Length > 0) text = char.ToLowerInvariant(text[0]) + text[1..];
        string detail = string.IsNullOrWhiteSpace(kernelDetail) ? "" : $" ({kernelDetail.Trim().ReplaceLineEndings(" ")})";
        return $"cannot {attempted}: {text} ({WgSharp.Errno.Name(errno)}){detail}";
    }
}
