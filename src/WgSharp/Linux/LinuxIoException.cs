using System.Runtime.Versioning;
namespace WgSharp.Linux;

/// <summary>A failed Linux system call, with the errno it reported.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxIoException : IOException
{
    public LinuxIoException(string operation, int errno)
        : base($"{operation} failed: {WgSharp.Errno.Describe(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
        HResult = errno;
    }

    public string Operation { get; }

    /// <summary>The Linux errno value (e.g. 19 = ENODEV, 16 = EBUSY).</summary>
    public int Errno { get; }
}
