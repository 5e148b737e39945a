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

    // Packet info: the local address a datagram arrived at (receive) or leaves from (send).
    public const int SOL_IP = 0;
    public const int IP_PKTINFO = 8;
    public const int SOL_IPV6 = 41;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;

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
