using System.Runtime.Versioning;
using System.Runtime.InteropServices;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// One reader thread's batched receive on one UDP socket: either a UDP GRO super-buffer (recvmsg, the
/// segment size from the UDP_GRO control message) split into datagrams, or up to a batch of separate
/// datagrams with their own sources (recvmmsg). Datagrams land at a fixed stride in the caller's buffer.
/// Everything the kernel writes into (headers, addresses, the GRO buffer) is pinned once and reused, so
/// a receive allocates nothing. Not thread-safe: one instance per reader thread (per family).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class UdpBatchReceiver
{
    /// <summary>Largest UDP GRO super-buffer: at most 64 KiB of IP payload.</summary>
    public const int GroBufferBytes = 65536;

    /// <summary>Most datagrams one recvmmsg asks for (wireguard-go's IdealBatchSize is 128).</summary>
    public const int MaxBatch = 128;

    private const int AddressBytes = 32;  // sockaddr_in6 (28) rounded up
    // UDP_GRO's CMSG_SPACE(int) = 24 and IPV6_PKTINFO's CMSG_SPACE(20) = 40, with room for others the kernel may add.
    private const int ControlBytes = 128;
    // Per recvmmsg message: the packet info (40 at most), with room to spare.
    private const int MessageControlBytes = 64;

    private readonly bool _isIPv4;
    // Pinned once (pinned object heap): the kernel writes here outside any fixed block.
    private readonly byte[] _groBuffer = GC.AllocateUninitializedArray<byte>(GroBufferBytes, pinned: true);
    private readonly byte[] _addresses = GC.AllocateUninitializedArray<byte>(MaxBatch * AddressBytes, pinned: true);
    private readonly byte[] _control = GC.AllocateUninitializedArray<byte>(ControlBytes, pinned: true);
    private readonly byte[] _messageControls = GC.AllocateUninitializedArray<byte>(MaxBatch * MessageControlBytes, pinned: true);
    private readonly LibC.MMsgHdr[] _messages = GC.AllocateArray<LibC.MMsgHdr>(MaxBatch, pinned: true);
    private readonly LibC.IoVec[] _iovecs = GC.AllocateArray<LibC.IoVec>(MaxBatch, pinned: true);

    // The unread rest of the last GRO super-buffer, when it held more datagrams than the caller had room for.
    private int _pendingOffset, _pendingEnd, _pendingSegment;
    private UdpEndpoint _pendingSource;
    private LocalAddress _pendingLocal;

    public UdpBatchReceiver(bool isIPv4) => _isIPv4 = isIPv4;

    /// <summary>Super-buffers received with more than one datagram in them (for tests and benchmarks).</summary>
    public long CoalescedReceives { get; private set; }

    public bool HasPending => _pendingOffset < _pendingEnd;

    /// <summary>Forgets the rest of a super-buffer (its socket was replaced).</summary>
    public void DropPending() => _pendingOffset = _pendingEnd = 0;

    /// <summary>
    /// Hands out datagrams left from the last super-buffer into the slots; returns how many (0 = none left).
    /// Datagrams longer than the stride are dropped.
    /// </summary>
    public int TakePending(Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, int capacity) =>
        TakePending(buffers, stride, lengths, sources, default, capacity);

    /// <summary>As above, with the local address each datagram arrived at in <paramref name="locals"/> (when not empty).</summary>
    public int TakePending(Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, Span<LocalAddress> locals, int capacity)
    {
        int count = 0;
        while (count < capacity && _pendingOffset < _pendingEnd)
        {
            int length = Math.Min(_pendingSegment, _pendingEnd - _pendingOffset);
            if (length <= stride)
            {
                _groBuffer.AsSpan(_pendingOffset, length).CopyTo(buffers.Slice(count * stride, stride));
                lengths[count] = length;
                sources[count] = _pendingSource;
                if (locals.Length > count) locals[count] = _pendingLocal;
                count++;
            }
            _pendingOffset += length;
        }
        return count;
    }

    /// <summary>
    /// One recvmsg into the GRO buffer (blocking unless <paramref name="flags"/> say otherwise); the datagrams
    /// become pending for TakePending. Returns the bytes received, or -1 with errno.
    /// </summary>
    public int ReceiveCoalesced(int fd, int flags, out int errno)
    {
        errno = 0;
        fixed (byte* data = _groBuffer)
        fixed (byte* name = _addresses)
        fixed (byte* control = _control)
        {
            var iov = new LibC.IoVec { Base = data, Length = GroBufferBytes };
            var message = new LibC.MsgHdr
            {
                Name = name,
                NameLength = AddressBytes,
                Iov = &iov,
                IovLength = 1,
                Control = control,
                ControlLength = ControlBytes,
            };
            nint received = LibC.RecvMsg(fd, &message, flags);
            if (received < 0)
            {
                errno = LibC.Errno;
                return -1;
            }
            if ((message.Flags & LibC.MSG_TRUNC) != 0)
                return 0; // cannot happen for UDP within 64 KiB; if it does, the datagram is incomplete: drop it
            int segment = SegmentSize(control, (int)message.ControlLength);
            if (segment > 1 && segment < received) CoalescedReceives++;
            _pendingSource = UdpEndpoint.ReadFrom(new ReadOnlySpan<byte>(name, AddressBytes), _isIPv4);
            _pendingLocal = PacketInfo(control, (int)message.ControlLength, _isIPv4);
            _pendingSegment = segment > 0 ? segment : Math.Max(1, (int)received);
            _pendingOffset = 0;
            _pendingEnd = (int)received;
            return (int)received;
        }
    }

    /// <summary>The gso_size of a UDP_GRO control message, or 0 when there is none (a plain datagram).</summary>
    private static int SegmentSize(byte* control, int controlLength)
    {
        int offset = 0;
        while (offset + sizeof(LibC.CMsgHdr) <= controlLength)
        {
            var header = (LibC.CMsgHdr*)(control + offset);
            int length = (int)header->Length;
            if (length < sizeof(LibC.CMsgHdr) || offset + length > controlLength)
                return 0;
            if (header->Level == LibC.SOL_UDP && header->Type == LibC.UDP_GRO && length >= sizeof(LibC.CMsgHdr) + sizeof(int))
                return *(int*)(control + offset + sizeof(LibC.CMsgHdr));
            offset += (length + 7) & ~7; // CMSG_ALIGN
        }
        return 0;
    }

    /// <summary>
    /// The local address and interface an IP_PKTINFO / IPV6_PKTINFO control message names (the datagram's
    /// destination address), or default when there is none (the socket option is off or refused).
    /// </summary>
    internal static LocalAddress PacketInfo(byte* control, int controlLength, bool isIPv4)
    {
        int offset = 0;
        while (offset + sizeof(LibC.CMsgHdr) <= controlLength)
        {
            var header = (LibC.CMsgHdr*)(control + offset);
            int length = (int)header->Length;
            if (length < sizeof(LibC.CMsgHdr) || offset + length > controlLength)
                return default;
            byte* data = control + offset + sizeof(LibC.CMsgHdr);
            // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
            if (isIPv4 && header->Level == LibC.SOL_IP && header->Type == LibC.IP_PKTINFO && length >= sizeof(LibC.CMsgHdr) + 12)
                return new LocalAddress(UdpEndpoint.Create(new ReadOnlySpan<byte>(data + 8, 4), 0), *(int*)data);
            // struct in6_pktinfo { in6_addr ipi6_addr; int ipi6_ifindex; }
            if (!isIPv4 && header->Level == LibC.SOL_IPV6 && header->Type == LibC.IPV6_PKTINFO && length >= sizeof(LibC.CMsgHdr) + 20)
                return new LocalAddress(UdpEndpoint.Create(new ReadOnlySpan<byte>(data, 16), 0), *(int*)(data + 16));
            offset += (length + 7) & ~7; // CMSG_ALIGN
        }
        return default;
    }

    /// <summary>
    /// One recvmmsg straight into the stride slots: blocks for the first datagram (unless <paramref name="flags"/>
    /// say otherwise), takes what else is queued (MSG_WAITFORONE). Truncated datagrams (longer than the stride) and empty ones are dropped and the rest closed up.
    /// Returns the datagrams delivered (0 when all were dropped), or -1 with errno.
    /// </summary>
    public int ReceiveEach(int fd, int flags, Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, int capacity, out int errno) =>
        ReceiveEach(fd, flags, buffers, stride, lengths, sources, default, capacity, out errno);

    /// <summary>As above, with the local address each datagram arrived at in <paramref name="locals"/> (when not empty).</summary>
    public int ReceiveEach(int fd, int flags, Span<byte> buffers, int stride, Span<int> lengths, Span<UdpEndpoint> sources, Span<LocalAddress> locals, int capacity, out int errno)
    {
        errno = 0;
        int batch = Math.Min(capacity, MaxBatch);
        int received;
        fixed (byte* slots = buffers)
        fixed (byte* names = _addresses)
        fixed (LibC.MMsgHdr* messages = _messages)
        fixed (LibC.IoVec* iovecs = _iovecs)
        fixed (byte* controls = _messageControls)
        {
            for (int i = 0; i < batch; i++)
            {
                iovecs[i] = new LibC.IoVec { Base = slots + i * stride, Length = (nuint)stride };
                messages[i] = new LibC.MMsgHdr
                {
                    Header = new LibC.MsgHdr
                    {
                        Name = names + i * AddressBytes, NameLength = AddressBytes, Iov = iovecs + i, IovLength = 1,
                        Control = controls + i * MessageControlBytes, ControlLength = MessageControlBytes,
                    },
                };
            }
            received = LibC.RecvMMsg(fd, messages, (uint)batch, flags | LibC.MSG_WAITFORONE, null);
            if (received < 0)
            {
                errno = LibC.Errno;
                return -1;
            }
        }
        int count = 0;
        for (int i = 0; i < received; i++)
        {
            ref var message = ref _messages[i];
            int length = (int)message.Length;
            if ((message.Header.Flags & LibC.MSG_TRUNC) != 0 || length == 0)
                continue; // longer than a slot, or empty (also what a shut-down socket returns): drop it
            if (count != i)
                buffers.Slice(i * stride, length).CopyTo(buffers.Slice(count * stride, stride));
            lengths[count] = length;
            sources[count] = UdpEndpoint.ReadFrom(_addresses.AsSpan(i * AddressBytes, AddressBytes), _isIPv4);
            if (locals.Length > count)
            {
                fixed (byte* controls = _messageControls)
                    locals[count] = PacketInfo(controls + i * MessageControlBytes, (int)message.Header.ControlLength, _isIPv4);
            }
            count++;
        }
        return count;
    }
}
