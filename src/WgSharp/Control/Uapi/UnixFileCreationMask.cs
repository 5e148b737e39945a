using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace WgSharp.Control.Uapi;

/// <summary>
/// The process umask, so the UAPI socket is born with mode 0600 instead of being chmod-ed after
/// bind (which would leave a moment where other users could connect). wireguard-go does the same.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class UnixFileCreationMask
{
    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    /// <summary>Sets the umask and returns a scope that restores the previous one.</summary>
    public static Scope Set(uint mask) => new(Umask(mask));

    public readonly struct Scope(uint previous) : IDisposable
    {
        public void Dispose() => Umask(previous);
    }
}
