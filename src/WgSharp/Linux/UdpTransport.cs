using System.Runtime.Versioning;
using System.Net;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// The device's outer UDP sockets: an IPv4 socket and an IPv6-only socket bound to the same port, so
/// the transport still works where IPv6 (or IPv4) is disabled. Optionally the sockets are created in a
/// named network namespace (the Linux stand-in for OpenBSD's wgrtable routing domain).
/// </summary>
/// <remarks>
/// Threading model: the device runs one reader thread per family calling <see cref="Receive"/>, which
/// blocks and follows <see cref="Rebind"/> transparently; it returns -1 only after <see cref="Dispose"/>
/// (or when the family is unavailable), which is the reader's signal to exit. <see cref="Send"/> may
/// be called from any thread. Neither allocates per packet: socket addresses are reused per thread.
/// Batched receive (UDP GRO, recvmmsg) is in UdpTransport.BatchReceive.cs.
/// Why one class this long (about 750 lines plus its batch-receive part): the two families' sockets, their rebind as
/// a pair, the namespace they live in and the GSO send path share one swap-on-rebind state that readers follow without
/// a lock; splitting the send path out is the next step.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class UdpTransport : IDisposable
{
    private const int BindAttempts = 100;

    // One bound pair of sockets; replaced as a whole on rebind so readers can tell an old pair from the current one.
    private sealed class SocketPair(Socket? v4, Socket? v6, ushort port)
    {
        public readonly Socket? V4 = v4;
        public readonly Socket? V6 = v6;
        public readonly ushort Port = port;

        public Socket? Get(UdpFamily family) => family == UdpFamily.IPv4 ? V4 : V6;

        public void Close()
        {
            V4?.Dispose();
            V6?.Dispose();
        }
    }

    [ThreadStatic] private static SocketAddress? t_receive4, t_receive6, t_send4, t_send6;

    private readonly object _gate = new();
    private volatile SocketPair? _sockets;
    private volatile bool _disposed;
    private uint? _fwMark;

    /// <param name="netns">Named network namespace to create the sockets in; null for the caller's own.</param>
    public UdpTransport(string? netns = null)
    {
        if (netns != null)
            NetNs.PathOf(netns); // validates the name early
        Namespace = netns;
    }

    /// <summary>Creates a transport whose sockets live in the named network namespace and binds it.</summary>
    public static UdpTransport BindInNamespace(string netns, ushort port)
    {
        var transport = new UdpTransport(netns);
        try
        {
            transport.Bind(port);
            return transport;
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    public string? Namespace { get; }

    /// <summary>The bound port, or 0 when not bound.</summary>
    public ushort Port => _sockets?.Port ?? 0;

    public bool IsBound => _sockets != null;
    public bool HasIPv4 => _sockets?.V4 != null;
    public bool HasIPv6 => _sockets?.V6 != null;

    /// <summary>The fwmark applied to the sockets (SO_MARK), or 0.</summary>
    public uint FwMark => _fwMark ?? 0;

    /// <summary>
    /// Binds both sockets to <paramref name="port"/> (0 = a random free port usable for both families) and
    /// returns the port. If already bound, this is <see cref="Rebind"/>.
    /// Throws <see cref="SocketException"/> (AddressAlreadyInUse) when the port is taken.
    /// </summary>
    public ushort Bind(ushort port) => Rebind(port);

    /// <summary>
    /// Moves to a new port (0 = a new random one): the new sockets are opened first, so on failure the old
    /// ones stay in use. Blocked readers continue on the new sockets. Rebinding to the current port is a no-op.
    /// </summary>
    public ushort Rebind(ushort port)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var old = _sockets;
            if (old != null && port != 0 && old.Port == port)
                return port; // already there (re-opening would collide with the sockets we hold)
            var fresh = Namespace == null ? OpenPair(port) : NetNs.Run(Namespace, () => OpenPair(port));
            if (_fwMark is { } mark)
            {
                try { ApplyFwMark(fresh, mark, previous: 0); }
                catch
                {
                    fresh.Close(); // a failed rebind keeps the old sockets and leaks no new ones
                    throw;
                }
            }
            _sockets = fresh;
            old?.Close();
            return fresh.Port;
        }
    }

    /// <summary>Sets SO_MARK on both sockets (and on sockets of later rebinds); 0 removes the mark.</summary>
    public void SetFwMark(uint mark)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sockets != null)
                ApplyFwMark(_sockets, mark, _fwMark ?? 0);
            _fwMark = mark;
        }
    }

    /// <summary>Reads SO_MARK back from the socket of <paramref name="family"/> (for tests and diagnostics).</summary>
    internal uint ReadFwMark(UdpFamily family)
    {
        var socket = _sockets?.Get(family) ?? throw new InvalidOperationException("no socket of that family");
        Span<byte> value = stackalloc byte[sizeof(uint)];
        socket.GetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_MARK, value);
        return BitConverter.ToUInt32(value);
    }

    /// <summary>Both sockets get the mark, or neither: when the IPv6 one refuses, the IPv4 one goes back to <paramref name="previous"/>.</summary>
    private static void ApplyFwMark(SocketPair pair, uint mark, uint previous)
    {
        SetMark(pair.V4, mark);
        try
        {
            SetMark(pair.V6, mark);
        }
        catch
        {
            try { SetMark(pair.V4, previous); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { } // the first error is the one to report
            throw;
        }
    }

    private static void SetMark(Socket? socket, uint mark)
    {
        Span<byte> value = stackalloc byte[sizeof(uint)];
        BitConverter.TryWriteBytes(value, mark);
        socket?.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_MARK, value);
    }

    private static SocketPair OpenPair(ushort requestedPort)
    {
        for (var attempt = 0; ; attempt++)
        {
            Socket? v4 = null, v6 = null;
            try
            {
                v4 = TryOpen(AddressFamily.InterNetwork, requestedPort);
                var port = v4 != null ? (ushort)((IPEndPoint)v4.LocalEndPoint!).Port : requestedPort;
                v6 = TryOpen(AddressFamily.InterNetworkV6, port);
                if (v4 == null && v6 == null)
                    throw new SocketException((int)SocketError.AddressFamilyNotSupported);
                if (v4 == null)
                    port = (ushort)((IPEndPoint)v6!.LocalEndPoint!).Port;
                return new SocketPair(v4, v6, port);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && requestedPort == 0 && attempt < BindAttempts)
            {
                // The random IPv4 port was taken for IPv6: try another one.
                v4?.Dispose();
                v6?.Dispose();
            }
            catch
            {
                v4?.Dispose();
                v6?.Dispose();
                throw;
            }
        }
    }

    /// <summary>A bound socket, or null when this address family is not available on the host.</summary>
    private static Socket? TryOpen(AddressFamily family, ushort port)
    {
        Socket socket;
        try
        {
            socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported)
        {
            return null;
        }
        try
        {
            if (family == AddressFamily.InterNetworkV6)
                socket.DualMode = false; // IPV6_V6ONLY, so the IPv4 socket can own the same port
            RaiseBuffers(socket);
            EnablePacketInfo(socket, family);
            var any = family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
            try
            {
                socket.Bind(new IPEndPoint(any, port));
            }
            catch (SocketException e) when (family == AddressFamily.InterNetworkV6 && e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                socket.Dispose(); // IPv6 disabled on all interfaces
                return null;
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the kernel to tell, with each datagram, the local address it arrived at (IP_PKTINFO,
    /// IPV6_RECVPKTINFO): replies to a peer then leave from that address (sticky source). Without it (refused:
    /// never seen on Linux) the route picks the source, as before.
    /// </summary>
    private static void EnablePacketInfo(Socket socket, AddressFamily family)
    {
        Span<byte> on = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(on, 1);
        try
        {
            if (family == AddressFamily.InterNetwork) socket.SetRawSocketOption(LibC.SOL_IP, LibC.IP_PKTINFO, on);
            else socket.SetRawSocketOption(LibC.SOL_IPV6, LibC.IPV6_RECVPKTINFO, on);
        }
        catch (SocketException) { }
    }

    /// <summary>Socket buffer size asked for: bursts of a 64 KiB TCP window worth of datagrams must not overflow.</summary>
    public const int SocketBufferBytes = 8 << 20;

    /// <summary>
    /// Raises SO_RCVBUF/SO_SNDBUF so bursts are queued instead of dropped. As root the *FORCE variants
    /// go past net.core.[rw]mem_max; otherwise the plain options give what the sysctl allows.
    /// </summary>
    private static void RaiseBuffers(Socket socket)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, SocketBufferBytes);
        foreach (var (force, plain) in new[] { (LibC.SO_RCVBUFFORCE, LibC.SO_RCVBUF), (LibC.SO_SNDBUFFORCE, LibC.SO_SNDBUF) })
        {
            try { socket.SetRawSocketOption(LibC.SOL_SOCKET, force, value); }
            catch (SocketException)
            {
                try { socket.SetRawSocketOption(LibC.SOL_SOCKET, plain, value); }
                catch (SocketException) { } // keep the default size; it only costs throughput
            }
        }
    }

    /// <summary>
    /// Blocks until a datagram arrives on the socket of <paramref name="family"/>, copies it into
    /// <paramref name="buffer"/> and returns its length with the sender in <paramref name="from"/>.
    /// Returns -1 when the transport is disposed, not bound, or has no socket of that family.
    /// </summary>
    public int Receive(UdpFamily family, Span<byte> buffer, out UdpEndpoint from)
    {
        from = default;
        var address = family == UdpFamily.IPv4
            ? t_receive4 ??= new SocketAddress(AddressFamily.InterNetwork)
            : t_receive6 ??= new SocketAddress(AddressFamily.InterNetworkV6);
        var addressSize = family == UdpFamily.IPv4 ? UdpEndpoint.SockAddrIn4Size : UdpEndpoint.SockAddrIn6Size;
        while (true)
        {
            var pair = _sockets;
            var socket = pair?.Get(family);
            if (_disposed || socket == null)
                return -1;
            int received;
            try
            {
                address.Size = addressSize;
                received = socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_disposed)
                    return -1;
                if (!ReferenceEquals(pair, _sockets))
                    continue; // rebound: carry on with the new socket
                if (e is SocketException { SocketErrorCode: SocketError.MessageSize })
                    continue; // datagram larger than the buffer: drop it
                if (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.Interrupted })
                    continue; // ICMP error reports and signals are not fatal for an unconnected socket
                throw;
            }
            if (!ReferenceEquals(pair, _sockets))
            {
                if (_disposed)
                    return -1;
                continue; // woken by the close of a replaced socket
            }
            from = UdpEndpoint.ReadFrom(address);
            return received;
        }
    }

    /// <summary>Sends one datagram; throws <see cref="SocketException"/> on failure (see <see cref="TrySend(ReadOnlySpan{byte}, in UdpEndpoint)"/>).</summary>
    public void Send(ReadOnlySpan<byte> data, in UdpEndpoint to)
    {
        var error = TrySend(data, in to);
        if (error != SocketError.Success)
            throw new SocketException((int)error);
    }

    /// <summary>
    /// Sends one datagram from the socket matching the endpoint's family. Returns the error instead of
    /// throwing (e.g. NetworkUnreachable, AddressFamilyNotSupported when that family has no socket).
    /// </summary>
    public SocketError TrySend(ReadOnlySpan<byte> data, in UdpEndpoint to)
    {
        LocalAddress none = default;
        return TrySend(data, to, ref none);
    }

    /// <summary>
    /// As <see cref="TrySend(ReadOnlySpan{byte}, in UdpEndpoint)"/>, from the local address <paramref name="from"/>
    /// (IP_PKTINFO / IPV6_PKTINFO) when it is set. When the kernel refuses that source (EINVAL, EADDRNOTAVAIL: the
    /// address left the host) the datagram goes without it and <paramref name="from"/> becomes default.
    /// </summary>
    public unsafe SocketError TrySend(ReadOnlySpan<byte> data, in UdpEndpoint to, ref LocalAddress from)
    {
        if (UsableSource(from, to))
        {
            fixed (byte* payload = data)
            {
                var iov = new LibC.IoVec { Base = payload, Length = (nuint)data.Length };
                int errno = SendVector(&iov, 1, 0, to, ref from, out var prepared);
                return errno < 0 ? prepared : errno == 0 ? SocketError.Success : SendError(errno);
            }
        }
        var error = PrepareSend(to, out var socket, out var address);
        if (error != SocketError.Success)
            return error;
        try
        {
            socket.SendTo(data, SocketFlags.None, address);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (ObjectDisposedException)
        {
            return SocketError.OperationAborted; // raced with a rebind or close
        }
    }

    /// <summary>
    /// Picks the socket of the endpoint's family and fills this thread's reusable socket address
    /// with the endpoint; the error says why nothing can be sent.
    /// </summary>
    private SocketError PrepareSend(in UdpEndpoint to, out Socket socket, out SocketAddress address)
    {
        socket = null!;
        address = null!;
        if (to.IsEmpty)
            return SocketError.DestinationAddressRequired;
        var pair = _sockets;
        if (_disposed || pair == null)
            return SocketError.NotSocket;
        var chosen = to.IsIPv4 ? pair.V4 : pair.V6;
        if (chosen == null)
            return SocketError.AddressFamilyNotSupported;
        socket = chosen;
        address = to.IsIPv4
            ? t_send4 ??= new SocketAddress(AddressFamily.InterNetwork)
            : t_send6 ??= new SocketAddress(AddressFamily.InterNetworkV6);
        to.WriteTo(address);
        return SocketError.Success;
    }

    // Environment.TickCount64 before which sends go one by one because the kernel refused a segmented send; 0 = none refused.
    private long _segmentationRefusedUntil;

    /// <summary>
    /// How long sends go one by one after the kernel refused a segmentation-offload send. Not for ever: the
    /// usual cause is a route whose MTU is below the segment size (a tunnel MTU set above the path's), which an
    /// operator fixes; a kernel without UDP GSO costs one refused send per interval.
    /// </summary>
    internal TimeSpan SegmentationRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>True while sends go one by one because the kernel refused a segmentation-offload send.</summary>
    internal bool SegmentationUnsupported => Environment.TickCount64 < Volatile.Read(ref _segmentationRefusedUntil);

    /// <summary>
    /// Errors with which the kernel refuses a segmented send that plain sends of the same datagrams get past:
    /// no UDP GSO (EINVAL, ENOPROTOOPT, EOPNOTSUPP), a device that cannot segment (EIO), or segments larger than
    /// the route's MTU (EMSGSIZE), which a plain send fragments instead.
    /// </summary>
    private static bool IsSegmentationRefusal(int errno) => errno is Errno.EINVAL or Errno.ENOPROTOOPT or Errno.EOPNOTSUPP or Errno.EIO or Errno.EMSGSIZE;

    private void SegmentationRefused() =>
        Volatile.Write(ref _segmentationRefusedUntil, Environment.TickCount64 + (long)SegmentationRetryInterval.TotalMilliseconds);

    /// <summary>
    /// Most datagrams one segmentation-offload send carries (older kernels allow 64). Smaller bursts did not
    /// reduce drops at a slow receiver in our measurements (docs/performance.md); the daemon's WGSHARP_GSO_SEGMENTS sets it
    /// through <see cref="LinuxDatagramTransportFactory"/>.
    /// </summary>
    public int MaxSegments
    {
        get => _maxSegments;
        init => _maxSegments = value is >= 1 and <= DefaultMaxSegments ? value : throw new ArgumentOutOfRangeException(nameof(value), "GSO segments must be 1-64");
    }

    private readonly int _maxSegments = DefaultMaxSegments;

    /// <summary>The most datagrams one segmentation-offload send may carry, and the default.</summary>
    public const int DefaultMaxSegments = 64;

    /// <summary>Largest total a segmentation-offload send may carry (it travels as one IP packet until the device splits it).</summary>
    public const int MaxSegmentedBytes = 65000;

    /// <summary>
    /// Sends <paramref name="data"/> as consecutive datagrams of <paramref name="segmentSize"/> bytes (the last
    /// may be shorter) to one endpoint. Uses UDP generic segmentation offload (one sendmsg with UDP_SEGMENT, so
    /// the stack is walked once for the whole batch); falls back to one send per datagram where the kernel
    /// cannot. The caller keeps data within <see cref="MaxSegments"/> and <see cref="MaxSegmentedBytes"/>.
    /// </summary>
    public unsafe SocketError TrySendSegments(ReadOnlySpan<byte> data, int segmentSize, in UdpEndpoint to)
    {
        fixed (byte* payload = data)
        {
            var iov = new LibC.IoVec { Base = payload, Length = (nuint)data.Length };
            LocalAddress none = default;
            return TrySendSegments(&iov, 1, data.Length, segmentSize, to, ref none);
        }
    }

    /// <summary>
    /// Like <see cref="TrySendSegments(ReadOnlySpan{byte}, int, in UdpEndpoint)"/> for datagrams spread over
    /// several buffers (pinned by the caller): the kernel reads the vector as one stream and cuts it into
    /// segments, so the datagrams need not be copied together first.
    /// </summary>
    internal unsafe SocketError TrySendSegments(LibC.IoVec* iov, int iovCount, int totalLength, int segmentSize, in UdpEndpoint to, ref LocalAddress from)
    {
        if (totalLength <= segmentSize || SegmentationUnsupported || !Offloads)
            return SendEach(iov, iovCount, segmentSize, to, ref from);
        int errno = SendVector(iov, iovCount, segmentSize, to, ref from, out var error);
        if (errno < 0)
            return error;
        if (errno == 0)
            return SocketError.Success;
        if (IsSegmentationRefusal(errno))
        {
            SegmentationRefused(); // the kernel or route cannot segment: plain sends for a while
            return SendEach(iov, iovCount, segmentSize, to, ref from);
        }
        return SendError(errno);
    }

    /// <summary>Whether <paramref name="from"/> can be the source of a datagram to <paramref name="to"/> (set, same family).</summary>
    private static bool UsableSource(in LocalAddress from, in UdpEndpoint to) => !from.IsEmpty && from.Address.IsIPv4 == to.IsIPv4;

    /// <summary>
    /// Errors with which the kernel refuses a source address that is not (any more) one of the host's: IPv4 says
    /// ENETUNREACH, IPv6 EINVAL (EADDRNOTAVAIL for good measure). These have other causes too, so the send is
    /// repeated without the source, and the source forgotten only when that one gets past.
    /// </summary>
    private static bool IsSourceRefusal(int errno) => errno is Errno.EINVAL or Errno.EADDRNOTAVAIL or Errno.ENETUNREACH;

    /// <summary>
    /// One sendmsg of the vector to <paramref name="to"/>: segmented (UDP_SEGMENT) when <paramref name="segmentSize"/>
    /// is above 0, from <paramref name="from"/> when it is set. A refused source is dropped and the send repeated
    /// without it; <paramref name="from"/> becomes default when that one went (or failed for another reason), so
    /// the source was to blame. Returns 0 or errno; -1 with <paramref name="error"/> when nothing could be sent.
    /// </summary>
    private unsafe int SendVector(LibC.IoVec* iov, int iovCount, int segmentSize, in UdpEndpoint to, ref LocalAddress from, out SocketError error)
    {
        error = PrepareSend(to, out var socket, out var address);
        if (error != SocketError.Success)
            return -1;
        var handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            var name = address.Buffer.Span[..address.Size];
            bool withSource = UsableSource(from, to);
            int errno = SendMessage(fd, iov, iovCount, segmentSize, name, withSource ? from : default);
            if (errno != 0 && withSource && IsSourceRefusal(errno))
            {
                int again = SendMessage(fd, iov, iovCount, segmentSize, name, default);
                if (again == 0 || (again != errno && !IsSourceRefusal(again)))
                    from = default; // the source was refused, not the rest: forget it
                errno = again;
            }
            return errno;
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted; // raced with a rebind or close
            return -1;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }


    /// <summary>One run for <see cref="TrySendRuns"/>: equal-sized datagrams (the last may be shorter) in consecutive buffers of the caller's vector.</summary>
    internal readonly record struct SegmentRun(int FirstBuffer, int Buffers, int TotalLength, int SegmentSize);

    /// <summary>Most runs one <see cref="TrySendRuns"/> call passes to the kernel at once.</summary>
    internal const int MaxRunsPerSend = 8;

    /// <summary>
    /// Sends several runs to one endpoint, each as one segmentation-offload datagram train, all in one sendmmsg.
    /// A burst larger than one UDP GSO send allows (a 64 KiB TCP super-packet becomes ~68 KiB of datagrams) thus
    /// reaches the receiver's socket at once, and its reader finds the tail queued when it has opened the head
    /// (so the receiving tunnel can merge the whole burst again). Keeps going after a failed run;
    /// returns the first error. Falls back to <see cref="TrySendSegments(LibC.IoVec*, int, int, int, in UdpEndpoint, ref LocalAddress)"/>
    /// per run where segmentation is off or unsupported.
    /// </summary>
    internal unsafe SocketError TrySendRuns(LibC.IoVec* iov, ReadOnlySpan<SegmentRun> runs, in UdpEndpoint to, ref LocalAddress from)
    {
        if (runs.Length > MaxRunsPerSend) throw new ArgumentOutOfRangeException(nameof(runs));
        if (runs.Length == 1 || SegmentationUnsupported || !Offloads)
            return SendRunsOneByOne(iov, runs, to, ref from);
        var error = PrepareSend(to, out var socket, out var address);
        if (error != SocketError.Success)
            return error;
        bool withSource = UsableSource(from, to);
        var source = withSource ? from : default;
        byte* controls = stackalloc byte[MaxRunsPerSend * MaxControlSize];
        var messages = stackalloc LibC.MMsgHdr[MaxRunsPerSend];
        var result = SocketError.Success;
        var handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            fixed (byte* name = address.Buffer.Span)
            {
                for (int i = 0; i < runs.Length; i++)
                {
                    // A lone datagram goes without UDP_SEGMENT, as a plain send would: one longer than the path
                    // MTU (a tunnel MTU above the link's) must be fragmented, which a segmented send refuses.
                    bool segmented = runs[i].TotalLength > runs[i].SegmentSize;
                    byte* control = controls + i * MaxControlSize;
                    int controlLength = WriteControl(control, segmented ? runs[i].SegmentSize : 0, source);
                    messages[i] = new LibC.MMsgHdr
                    {
                        Header = new LibC.MsgHdr
                        {
                            Name = name,
                            NameLength = (uint)address.Size,
                            Iov = iov + runs[i].FirstBuffer,
                            IovLength = (nuint)runs[i].Buffers,
                            Control = controlLength > 0 ? control : null,
                            ControlLength = (nuint)controlLength,
                        },
                    };
                }
                for (int sent = 0; sent < runs.Length;)
                {
                    int n = LibC.SendMMsg(fd, messages + sent, (uint)(runs.Length - sent), 0);
                    if (n > 0)
                    {
                        sent += n;
                        continue;
                    }
                    int errno = n < 0 ? LibC.Errno : Errno.EAGAIN;
                    if (errno == Errno.EINTR)
                        continue;
                    if (withSource && IsSourceRefusal(errno))
                    {
                        // The source may have left the host (or the kernel cannot segment): one by one, which tells which.
                        var rest = SendRunsOneByOne(iov, runs[sent..], to, ref from);
                        return result == SocketError.Success ? rest : result;
                    }
                    if (IsSegmentationRefusal(errno))
                    {
                        SegmentationRefused(); // the kernel or route cannot segment: plain sends for a while
                        var rest = SendRunsOneByOne(iov, runs[sent..], to, ref from);
                        return result == SocketError.Success ? rest : result;
                    }
                    if (result == SocketError.Success) result = SendError(errno);
                    sent++; // the kernel refused this run: the rest may still go
                }
            }
            return result;
        }
        catch (ObjectDisposedException)
        {
            return SocketError.OperationAborted; // raced with a rebind or close
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private unsafe SocketError SendRunsOneByOne(LibC.IoVec* iov, ReadOnlySpan<SegmentRun> runs, in UdpEndpoint to, ref LocalAddress from)
    {
        var result = SocketError.Success;
        foreach (var run in runs)
        {
            var error = TrySendSegments(iov + run.FirstBuffer, run.Buffers, run.TotalLength, run.SegmentSize, to, ref from);
            if (result == SocketError.Success) result = error;
        }
        return result;
    }

    private static SocketError SendError(int errno) => errno switch
    {
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        Errno.ENOBUFS or Errno.EAGAIN => SocketError.NoBufferSpaceAvailable,
        _ => SocketError.SocketError,
    };

    /// <summary>Bytes of a UDP_SEGMENT control message: CMSG_SPACE(sizeof(ushort)) on 64-bit.</summary>
    private const int SegmentControlSize = 24;

    /// <summary>Bytes of an IP_PKTINFO control message (CMSG_SPACE(sizeof(struct in_pktinfo)) = 32) or IPV6_PKTINFO's (CMSG_SPACE(20) = 40).</summary>
    private const int PacketInfo4ControlSize = 32, PacketInfo6ControlSize = 40;

    /// <summary>Room for a send's control messages: UDP_SEGMENT and a packet info.</summary>
    private const int MaxControlSize = SegmentControlSize + PacketInfo6ControlSize;

    /// <summary>
    /// Writes a send's control messages into <paramref name="control"/> (<see cref="MaxControlSize"/> bytes):
    /// UDP_SEGMENT when <paramref name="segmentSize"/> is above 0, IP_PKTINFO / IPV6_PKTINFO when
    /// <paramref name="from"/> is set. Returns their length (0: none).
    /// </summary>
    private static unsafe int WriteControl(byte* control, int segmentSize, in LocalAddress from)
    {
        int length = 0;
        if (segmentSize > 0)
        {
            WriteSegmentControl(control, segmentSize);
            length = SegmentControlSize;
        }
        if (from.IsEmpty)
            return length;
        byte* at = control + length;
        var cmsg = (LibC.CMsgHdr*)at;
        byte* data = at + sizeof(LibC.CMsgHdr);
        if (from.Address.IsIPv4)
        {
            new Span<byte>(at, PacketInfo4ControlSize).Clear();
            cmsg->Length = (nuint)(sizeof(LibC.CMsgHdr) + 12);
            cmsg->Level = LibC.SOL_IP;
            cmsg->Type = LibC.IP_PKTINFO;
            // in_pktinfo: ifindex 0 (the route picks the interface), ipi_spec_dst = the source.
            from.Address.AddressSpan.CopyTo(new Span<byte>(data + 4, 4));
            return length + PacketInfo4ControlSize;
        }
        new Span<byte>(at, PacketInfo6ControlSize).Clear();
        cmsg->Length = (nuint)(sizeof(LibC.CMsgHdr) + 20);
        cmsg->Level = LibC.SOL_IPV6;
        cmsg->Type = LibC.IPV6_PKTINFO;
        from.Address.AddressSpan.CopyTo(new Span<byte>(data, 16));
        // The interface only for a link-local source (meaningless without it); otherwise the route picks.
        var address = from.Address.AddressSpan;
        if (address[0] == 0xfe && (address[1] & 0xc0) == 0x80) *(int*)(data + 16) = from.InterfaceIndex;
        return length + PacketInfo6ControlSize;
    }

    /// <summary>A UDP_SEGMENT control message carrying the segment size, in <see cref="SegmentControlSize"/> bytes.</summary>
    private static unsafe void WriteSegmentControl(byte* control, int segmentSize)
    {
        new Span<byte>(control, SegmentControlSize).Clear();
        var cmsg = (LibC.CMsgHdr*)control;
        cmsg->Length = (nuint)(sizeof(LibC.CMsgHdr) + sizeof(ushort));
        cmsg->Level = LibC.SOL_UDP;
        cmsg->Type = LibC.UDP_SEGMENT;
        *(ushort*)(control + sizeof(LibC.CMsgHdr)) = (ushort)segmentSize;
    }

    private unsafe SocketError SendEach(LibC.IoVec* iov, int iovCount, int segmentSize, in UdpEndpoint to, ref LocalAddress from)
    {
        var result = SocketError.Success;
        for (int i = 0; i < iovCount; i++)
        {
            var data = new ReadOnlySpan<byte>(iov[i].Base, (int)iov[i].Length);
            for (int offset = 0; offset < data.Length; offset += segmentSize)
            {
                var error = TrySend(data.Slice(offset, Math.Min(segmentSize, data.Length - offset)), to, ref from);
                if (error != SocketError.Success) result = error;
            }
        }
        return result;
    }

    /// <summary>One sendmsg with the control messages of <see cref="WriteControl"/>; returns 0 or errno.</summary>
    private static unsafe int SendMessage(int fd, LibC.IoVec* iov, int iovCount, int segmentSize, ReadOnlySpan<byte> sockaddr, in LocalAddress from)
    {
        byte* control = stackalloc byte[MaxControlSize];
        int controlLength = WriteControl(control, segmentSize, from);
        fixed (byte* name = sockaddr)
        {
            var message = new LibC.MsgHdr
            {
                Name = name,
                NameLength = (uint)sockaddr.Length,
                Iov = iov,
                IovLength = (nuint)iovCount,
                Control = controlLength > 0 ? control : null,
                ControlLength = (nuint)controlLength,
            };
            while (true)
            {
                if (LibC.SendMsg(fd, &message, 0) >= 0)
                    return 0;
                int errno = LibC.Errno;
                if (errno != Errno.EINTR)
                    return errno;
            }
        }
    }

    /// <summary>Closes the sockets; blocked readers return -1.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            var pair = _sockets;
            _sockets = null;
            pair?.Close();
        }
    }
}
