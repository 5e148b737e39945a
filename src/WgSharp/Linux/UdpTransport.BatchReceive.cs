using System.Runtime.Versioning;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

// Batched receive: many datagrams per system call, through UDP GRO where the kernel has it, else recvmmsg.
[SupportedOSPlatform("linux")]
internal sealed partial class UdpTransport
{
    /// <summary>
    /// Use the kernel's UDP offloads: GRO on the receive side of ReceiveBatch and GSO in
    /// TrySendSegments. False turns both off (kernels with broken offloads exist in the field);
    /// the daemon sets it from WGSHARP_OFFLOADS=0, the library reads no environment.
    /// </summary>
    public bool Offloads { get; init; } = true;

    // One receiver per family, used only by that family's reader thread.
    private UdpBatchReceiver? _batch4, _batch6;
    // The sockets on which GRO was last switched on (or found missing), per family.
    private SocketPair? _groChecked4, _groChecked6;
    private bool _gro4, _gro6;

    /// <summary>Super-buffers received through UDP GRO with more than one datagram in them (tests, benchmarks).</summary>
    internal long CoalescedReceives => (_batch4?.CoalescedReceives ?? 0) + (_batch6?.CoalescedReceives ?? 0);

    /// <summary>True when the socket of <paramref name="family"/> delivers GRO super-buffers to ReceiveBatch (known after its first call).</summary>
    internal bool UsesGro(UdpFamily family) => family == UdpFamily.IPv4 ? _gro4 : _gro6;

    /// <summary>
    /// Blocks until at least one datagram arrives on the socket of <paramref name="family"/>, then fills up to
    /// <c>lengths.Length</c> datagrams into <paramref name="buffers"/>, datagram i at offset <c>i * stride</c>,
    /// with its length in <c>lengths[i]</c> and its sender in <c>sources[i]</c>. Returns the count, or -1 when
    /// the transport is disposed, not bound, or has no socket of that family (as <see cref="Receive"/>).
    /// Datagrams longer than <paramref name="stride"/> and empty ones are dropped. Follows rebinds; one reader
    /// per family, which must not also call <see cref="Receive"/> (a GRO socket hands out super-buffers).
    /// With <paramref name="wait"/> false it never blocks: 0 when nothing is queued.
    /// </summary>
    /// <remarks>
    /// With GRO, one recvmsg returns a run of equal-sized datagrams from one sender (the last may be shorter);
    /// they are copied out of a pinned 64 KiB buffer into the slots, and a run longer than the slots is handed
    /// out over the next calls without a system call. Without GRO (or with <see cref="Offloads"/> off) one
    /// recvmmsg receives straight into the slots, each datagram with its own sender.
    /// </remarks>
    public int ReceiveBatch(UdpFamily family, Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, bool wait = true) =>
        ReceiveBatch(family, buffers, stride, lengths, sources, default, wait);

    /// <summary>
    /// As above, also giving in <paramref name="locals"/> (when not empty) the local address and interface each
    /// datagram arrived at (IP_PKTINFO / IPV6_PKTINFO), default where the kernel did not say.
    /// </summary>
    public int ReceiveBatch(UdpFamily family, Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, Span<LocalAddress> locals, bool wait = true)
    {
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride));
        int capacity = Math.Min(Math.Min(lengths.Length, sources.Length), buffers.Length / stride);
        if (capacity == 0) throw new ArgumentException("room for at least one datagram is needed", nameof(buffers));
        var receiver = family == UdpFamily.IPv4
            ? _batch4 ??= new UdpBatchReceiver(isIPv4: true)
            : _batch6 ??= new UdpBatchReceiver(isIPv4: false);
        while (true)
        {
            var pair = _sockets;
            var socket = pair?.Get(family);
            if (_disposed || socket == null)
                return -1;
            int count = receiver.TakePending(buffers, stride, lengths, sources, locals, capacity);
            if (count > 0)
                return count;
            int errno;
            var handle = socket.SafeHandle;
            bool added = false;
            try
            {
                // Holding a reference makes Socket.Dispose shut the socket down, which wakes the blocked call.
                handle.DangerousAddRef(ref added);
                int fd = (int)handle.DangerousGetHandle();
                int flags = wait ? 0 : LibC.MSG_DONTWAIT;
                count = UseGro(family, pair!, socket)
                    ? receiver.ReceiveCoalesced(fd, flags, out errno) < 0 ? -1 : receiver.TakePending(buffers, stride, lengths, sources, locals, capacity)
                    : receiver.ReceiveEach(fd, flags, buffers, stride, lengths, sources, locals, capacity, out errno);
            }
            catch (ObjectDisposedException)
            {
                count = 0; // closed before the call: the checks below say whether to stop or follow a rebind
                errno = 0;
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
            if (_disposed)
                return -1;
            if (!ReferenceEquals(pair, _sockets))
            {
                receiver.DropPending(); // woken by the close of a replaced socket: carry on with the new one
                continue;
            }
            if (count > 0)
                return count;
            if (count == 0)
                continue; // everything received was dropped (too long, empty): look again
            switch (errno)
            {
                case Errno.EINTR or Errno.ECONNREFUSED or Errno.EHOSTUNREACH or Errno.ENETUNREACH:
                    continue; // signals and ICMP error reports are not fatal for an unconnected socket
                case Errno.EAGAIN:
                    if (!wait) return 0; // nothing queued
                    WaitReadable(socket);
                    continue;
                default:
                    throw new LinuxIoException("UDP receive", errno);
            }
        }
    }

    /// <summary>Switches UDP GRO on once per socket when offloads are on; false where the kernel lacks it.</summary>
    private bool UseGro(UdpFamily family, SocketPair pair, Socket socket)
    {
        ref var checkedPair = ref family == UdpFamily.IPv4 ? ref _groChecked4 : ref _groChecked6;
        ref var gro = ref family == UdpFamily.IPv4 ? ref _gro4 : ref _gro6;
        if (ReferenceEquals(checkedPair, pair))
            return gro;
        gro = Offloads && TryEnableGro(socket);
        checkedPair = pair;
        return gro;
    }

    private static bool TryEnableGro(Socket socket)
    {
        Span<byte> on = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(on, 1);
        try
        {
            socket.SetRawSocketOption(LibC.SOL_UDP, LibC.UDP_GRO, on);
            return true;
        }
        catch (SocketException)
        {
            return false; // ENOPROTOOPT before Linux 5.0: recvmmsg instead
        }
    }

    /// <summary>The socket was switched to non-blocking by someone: wait for data the blocking way.</summary>
    private static void WaitReadable(Socket socket)
    {
        try { socket.Poll(-1, SelectMode.SelectRead); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }
}
