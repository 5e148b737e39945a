using System.Runtime.Versioning;
using System.Runtime.InteropServices;

namespace WgSharp.Linux;

// The receive side of batched UDP: recvmsg for UDP GRO super-buffers, recvmmsg where GRO is missing.
[SupportedOSPlatform("linux")]
internal static partial class LibC
{
    public const int UDP_GRO = 104;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_WAITFORONE = 0x10000;
    public const int AF_INET6 = 10;
    public const int ECONNREFUSED = 111;
    public const int ENETUNREACH = 101;
    public const int EHOSTUNREACH = 113;

    /// <summary>struct mmsghdr (64-bit layout): a msghdr and the length the kernel received into it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static unsafe partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmmsg", SetLastError = true)]
    public static unsafe partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
