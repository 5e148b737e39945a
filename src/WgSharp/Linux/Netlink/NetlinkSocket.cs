using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace WgSharp.Linux.Netlink;

/// <summary>Called for each reply message of a request (never for acknowledgements, errors or the end of a dump).</summary>
internal delegate void NetlinkReplyHandler(in NetlinkMessage message);

/// <summary>
/// A NETLINK_ROUTE socket: sends one request at a time and reads its replies to the acknowledgement, the error or the
/// end of the dump. It talks to the network namespace it was opened in, whichever thread uses it later. Not
/// thread-safe: one owner at a time.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class NetlinkSocket : IDisposable
{
    /// <summary>Enough for any one datagram the kernel sends a dump reader (it fills up to 32 KiB).</summary>
    private const int ReceiveCapacity = 64 * 1024;

    /// <summary>A dump longer than this is refused rather than held: no namespace has that many links or addresses.</summary>
    public const int MaxDumpMessages = 100_000;

    /// <summary>The kernel answers at once; a missing reply is an error, not a hang.</summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private readonly SafeFileHandle _handle;
    private readonly byte[] _receive = new byte[ReceiveCapacity];
    private uint _sequence;

    /// <summary>Wraps a datagram socket already open (a netlink socket; tests pass one end of a socket pair to play the kernel).</summary>
    internal NetlinkSocket(SafeFileHandle handle, uint lastSequence = 0)
    {
        _handle = handle;
        _sequence = lastSequence == 0 ? (uint)Environment.TickCount : lastSequence;
    }

    /// <summary>Opens a socket in the calling thread's network namespace.</summary>
    public static unsafe NetlinkSocket Open()
    {
        int fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0) throw new NetworkSetupException("open a netlink socket", LibC.Errno);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        int on = 1;
        // Best effort: short acknowledgements and the kernel's own words for an error (older kernels lack them).
        LibC.SetSockOpt(fd, LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, &on, sizeof(int));
        LibC.SetSockOpt(fd, LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, &on, sizeof(int));
        var timeout = new LibC.TimeVal { Seconds = (long)ReplyTimeout.TotalSeconds };
        if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(LibC.TimeVal)) < 0)
        {
            int errno = LibC.Errno;
            handle.Dispose();
            throw new NetworkSetupException("set the netlink socket's reply timeout", errno);
        }
        return new NetlinkSocket(handle);
    }

    /// <summary>Sends a change and waits for its acknowledgement; throws <see cref="NetworkSetupException"/> naming <paramref name="attempted"/>.</summary>
    public void Execute(NetlinkMessageBuilder request, string attempted)
    {
        int errno = TryExecute(request, attempted, onReply: null, out string? detail);
        if (errno != 0) throw new NetworkSetupException(attempted, errno, detail);
    }

    /// <summary>
    /// Sends <paramref name="request"/> (with NLM_F_ACK added) and hands each reply message to <paramref name="onReply"/>
    /// until the acknowledgement, the error or the end of a dump. Returns 0 or the errno the kernel answered with;
    /// a malformed, oversized or missing reply throws <see cref="NetworkSetupException"/>.
    /// </summary>
    public int TryExecute(NetlinkMessageBuilder request, string attempted, NetlinkReplyHandler? onReply, out string? detail)
    {
        detail = null;
        uint sequence = ++_sequence;
        // A change is answered by an acknowledgement only when asked; a dump always ends with NLMSG_DONE.
        if ((request.Flags & RtNetlink.NLM_F_DUMP) != RtNetlink.NLM_F_DUMP) request.Flags |= RtNetlink.NLM_F_ACK;
        Send(request.Finish(sequence), attempted);
        int messages = 0;
        while (true)
        {
            var datagram = Receive(attempted);
            int offset = 0;
            while (true)
            {
                var read = NetlinkMessageReader.Next(datagram, ref offset, out var message);
                if (read == NetlinkRead.End) break;
                if (read == NetlinkRead.Malformed) throw new NetworkSetupException(attempted, "malformed netlink reply");
                if (message.Sequence != sequence) continue; // a late answer to an earlier request
                switch (message.Type)
                {
                    case RtNetlink.NLMSG_ERROR:
                        if (!NetlinkMessageReader.TryReadError(message, out int errno, out detail))
                            throw new NetworkSetupException(attempted, "malformed netlink error reply");
                        return errno;
                    case RtNetlink.NLMSG_DONE:
                        // A dump that failed part-way carries the (negative) errno in NLMSG_DONE.
                        return message.Payload.Length >= 4 ? -System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(message.Payload) : 0;
                    case RtNetlink.NLMSG_NOOP:
                        continue;
                    case RtNetlink.NLMSG_OVERRUN:
                        throw new NetworkSetupException(attempted, "netlink reply overrun");
                }
                if (++messages > MaxDumpMessages) throw new NetworkSetupException(attempted, "too many netlink replies");
                // A single (non-dump) reply is followed by the acknowledgement; a dump ends with NLMSG_DONE.
                onReply?.Invoke(message);
            }
        }
    }

    private unsafe void Send(ReadOnlySpan<byte> message, string attempted)
    {
        fixed (byte* bytes = message)
        {
            while (true)
            {
                nint sent = LibC.Send(Fd, bytes, (nuint)message.Length, 0);
                if (sent == message.Length) return;
                int errno = sent < 0 ? LibC.Errno : Errno.EMSGSIZE;
                if (errno == Errno.EINTR) continue;
                throw new NetworkSetupException(attempted, errno);
            }
        }
    }

    private unsafe ReadOnlySpan<byte> Receive(string attempted)
    {
        fixed (byte* bytes = _receive)
        {
            while (true)
            {
                // MSG_TRUNC: the datagram's real length, so one that did not fit is an error, not a silent cut.
                nint received = LibC.Recv(Fd, bytes, (nuint)_receive.Length, LibC.MSG_TRUNC);
                if (received < 0)
                {
                    int errno = LibC.Errno;
                    if (errno == Errno.EINTR) continue;
                    if (errno == Errno.EAGAIN) throw new NetworkSetupException(attempted, "no netlink reply");
                    throw new NetworkSetupException(attempted, errno);
                }
                if (received > _receive.Length) throw new NetworkSetupException(attempted, "netlink reply larger than the receive buffer");
                return _receive.AsSpan(0, (int)received);
            }
        }
    }

    private int Fd => (int)_handle.DangerousGetHandle();

    public void Dispose() => _handle.Dispose();
}
