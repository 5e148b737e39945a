using System.Runtime.Versioning;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Linux;

/// <summary>
/// A Linux TUN interface (layer 3, no packet-info header): one raw IPv4/IPv6 packet per
/// <see cref="Read(Span{byte})"/> and <see cref="Write(ReadOnlySpan{byte})"/>. Disposing closes the descriptor, which deletes the interface.
/// </summary>
/// <remarks>
/// The descriptor is non-blocking; a blocked <see cref="Read(Span{byte})"/> waits in poll(2) on the TUN and on an
/// eventfd that <see cref="Dispose"/> signals, so reader threads wake and exit promptly at shutdown.
/// Interface settings (MTU, up/down) go through an ioctl socket created in whatever namespace the
/// interface is in now (TUNGETDEVNETNS), so they keep working after `ip link set IF netns NS`.
/// Why one class this long (about 420 lines): one descriptor's life (open in a namespace, offload negotiation, the
/// poll-based read and its wake-up, the settings ioctls) with its failure messages; nothing in it has state of its own.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class TunDevice : IDisposable
{
    public const int MaxNameLength = InterfaceName.MaxLength;
    public const int DefaultMtu = 1420;

    private const string CloneDevice = "/dev/net/tun";
    private const int IfReqSize = 40; // struct ifreq: 16-byte name + 24-byte union
    private const int IfReqUnionOffset = 16;
    private const short IFF_TUN = 0x0001;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_VNET_HDR = 0x4000;
    private const nuint TUNSETOFFLOAD = 0x400454D0;
    private const uint TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04;
    private const short IFF_UP = 0x1;
    private const nuint TUNSETIFF = 0x400454CA;
    private const nuint TUNGETIFF = 0x800454D2;
    private const nuint TUNGETDEVNETNS = 0x54E3;
    private const nuint SIOCGIFFLAGS = 0x8913;
    private const nuint SIOCSIFFLAGS = 0x8914;
    private const nuint SIOCGIFMTU = 0x8921;
    private const nuint SIOCSIFMTU = 0x8922;

    private readonly FileDescriptor _tun;
    private readonly FileDescriptor _wakeup;
    private volatile bool _closed;
    private string _name;

    private TunDevice(FileDescriptor tun, FileDescriptor wakeup, string name)
    {
        _tun = tun;
        _wakeup = wakeup;
        _name = name;
    }

    /// <summary>
    /// Creates (or attaches to a persistent) TUN interface named <paramref name="name"/> in the calling
    /// thread's network namespace and sets its MTU. A name containing "%d" lets the kernel pick a number.
    /// The interface is left down; call <see cref="SetUp"/>.
    /// </summary>
    public static TunDevice Create(string name, int mtu = DefaultMtu)
    {
        ValidateName(name);
        var tun = new FileDescriptor(LibC.Check(LibC.Open(CloneDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC), "open " + CloneDevice));
        FileDescriptor? wakeup = null;
        try
        {
            var actualName = Attach(tun, name);
            wakeup = new FileDescriptor(LibC.Check(LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC), "eventfd"));
            var device = new TunDevice(tun, wakeup, actualName);
            device.Mtu = mtu;
            return device;
        }
        catch
        {
            wakeup?.Dispose();
            tun.Dispose();
            throw;
        }
    }

    /// <summary>Creates the TUN interface inside the named network namespace (the descriptor works from any thread afterwards).</summary>
    public static TunDevice CreateInNamespace(string netns, string name, int mtu = DefaultMtu) =>
        NetNs.Run(netns, () => Create(name, mtu));

    public static void ValidateName(string name)
    {
        if (!InterfaceName.IsValid(name) && !InterfaceName.IsValidTemplate(name))
            throw new ArgumentException($"invalid interface name '{name}'", nameof(name));
    }

    private static unsafe string Attach(FileDescriptor tun, string name)
    {
        byte* ifr = stackalloc byte[IfReqSize];
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, MaxNameLength));
        // IFF_VNET_HDR: every packet carries a virtio_net_hdr, which Read/TryWrite strip and add, so
        // offloads (super-packets, partial checksums) can be enabled later by EnableOffloads.
        *(short*)(ifr + IfReqUnionOffset) = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
        using var lease = tun.Acquire();
        LibC.Check(LibC.Ioctl(lease.Number, TUNSETIFF, ifr), "ioctl TUNSETIFF " + name);
        return ReadName(ifr);
    }

    private static unsafe string ReadName(byte* ifr)
    {
        var span = new ReadOnlySpan<byte>(ifr, MaxNameLength + 1);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    /// <summary>The interface's current name (follows renames while the interface exists).</summary>
    public string Name
    {
        get
        {
            if (TryGetIfReq(out var current))
                _name = current;
            return _name;
        }
    }

    /// <summary>True until <see cref="Dispose"/>.</summary>
    public bool IsOpen => !_closed;

    /// <summary>
    /// True while the interface behind this descriptor exists, in whatever namespace it has been moved to.
    /// False once it was deleted (`ip link del`) or this device was disposed.
    /// </summary>
    public bool Exists() => TryGetIfReq(out _);

    private unsafe bool TryGetIfReq(out string name)
    {
        name = "";
        if (_closed || !_tun.TryLease())
            return false;
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            new Span<byte>(ifr, IfReqSize).Clear();
            if (LibC.Ioctl(_tun.Number, TUNGETIFF, ifr) < 0)
                return false; // EBADFD: the interface is gone
            name = ReadName(ifr);
            return true;
        }
        finally
        {
            _tun.Unlease();
        }
    }

    /// <summary>
    /// Blocks until a packet arrives and copies it into <paramref name="buffer"/>, returning its length.
    /// Returns -1 once the device is disposed or the interface was deleted: the reader should stop.
    /// A packet longer than the buffer is truncated, so pass at least MTU bytes. Does not allocate.
    /// </summary>
    public int Read(Span<byte> buffer) => Read(buffer, out _);

    /// <summary>
    /// Asks the kernel for checksum and TCP segmentation offload (TUNSETOFFLOAD): reads may then return
    /// TCP super-packets up to 64 KiB and partial checksums, described by the header
    /// <see cref="Read(Span{byte}, out VirtioNetHeader)"/> returns. Only a reader that handles those may
    /// call this. False if the kernel refuses (the device keeps working without offloads).
    /// </summary>
    internal bool EnableOffloads()
    {
        if (_closed || !_tun.TryLease()) return false;
        try { return LibC.Ioctl(_tun.Number, TUNSETOFFLOAD, (nint)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) == 0; }
        finally { _tun.Unlease(); }
    }

    /// <summary>Like <see cref="Read(Span{byte})"/>, also returning the packet's virtio_net_hdr.</summary>
    internal unsafe int Read(Span<byte> buffer, out VirtioNetHeader header)
    {
        header = default;
        if (_closed || !_tun.TryLease())
            return -1;
        try
        {
            var fd = _tun.Number;
            byte* vnet = stackalloc byte[VirtioNetHeader.Size];
            var iov = stackalloc LibC.IoVec[2];
            fixed (byte* p = buffer)
            {
                iov[0] = new LibC.IoVec { Base = vnet, Length = VirtioNetHeader.Size };
                iov[1] = new LibC.IoVec { Base = p, Length = (nuint)buffer.Length };
                while (!_closed)
                {
                    var n = LibC.ReadV(fd, iov, 2);
                    if (n >= VirtioNetHeader.Size)
                    {
                        header = VirtioNetHeader.Read(new ReadOnlySpan<byte>(vnet, VirtioNetHeader.Size));
                        return (int)n - VirtioNetHeader.Size;
                    }
                    if (n >= 0)
                        continue; // cannot happen with IFF_VNET_HDR; never hand out a torn packet
                    var errno = LibC.Errno;
                    if (errno == Errno.EAGAIN)
                    {
                        if (!WaitFor(fd, LibC.POLLIN))
                            return -1;
                        continue;
                    }
                    if (errno == Errno.EINTR)
                        continue;
                    if (errno is Errno.EBADFD or Errno.EBADF)
                        return -1; // interface deleted under us
                    throw new LinuxIoException("read tun", errno);
                }
                return -1;
            }
        }
        finally
        {
            _tun.Unlease();
        }
    }

    /// <summary>Writes one IP packet into the interface. Throws <see cref="LinuxIoException"/> if the kernel rejects it.</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        if (!TryWrite(packet, out var errno))
        {
            if (_closed)
                throw new ObjectDisposedException(nameof(TunDevice));
            throw new LinuxIoException("write tun", errno);
        }
    }

    /// <summary>
    /// Writes one IP packet into the interface without throwing; false with errno when the kernel rejected
    /// it (EINVAL for a malformed packet, EIO while the interface is down) or the device is disposed (EBADF).
    /// Does not allocate; suitable for writing packets that came from the network.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> packet, out int errno) => TryWrite(packet, 0, out errno);

    private bool TryWrite(ReadOnlySpan<byte> packet, byte vnetFlags, out int errno) =>
        TryWrite(packet, new VirtioNetHeader { Flags = vnetFlags }, out errno);

    /// <summary>Writes a packet with an explicit virtio_net_hdr (e.g. a GSO super-packet the kernel will segment or accept whole).</summary>
    internal unsafe bool TryWrite(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out int errno)
    {
        errno = Errno.EBADF;
        if (_closed || !_tun.TryLease())
            return false;
        try
        {
            var fd = _tun.Number;
            byte* vnet = stackalloc byte[VirtioNetHeader.Size];
            header.WriteTo(new Span<byte>(vnet, VirtioNetHeader.Size));
            var iov = stackalloc LibC.IoVec[2];
            fixed (byte* p = packet)
            {
                iov[0] = new LibC.IoVec { Base = vnet, Length = VirtioNetHeader.Size };
                iov[1] = new LibC.IoVec { Base = p, Length = (nuint)packet.Length };
                while (!_closed)
                {
                    if (LibC.WriteV(fd, iov, 2) >= 0)
                    {
                        errno = 0;
                        return true;
                    }
                    errno = LibC.Errno;
                    if (errno == Errno.EAGAIN)
                    {
                        if (!WaitFor(fd, LibC.POLLOUT))
                            break;
                        continue;
                    }
                    if (errno != Errno.EINTR)
                        return false;
                }
                errno = Errno.EBADF;
                return false;
            }
        }
        finally
        {
            _tun.Unlease();
        }
    }

    /// <summary>Waits until <paramref name="fd"/> is ready for <paramref name="events"/>; false if woken for shutdown.</summary>
    private unsafe bool WaitFor(int fd, short events)
    {
        if (!_wakeup.TryLease())
            return false;
        try
        {
            var fds = stackalloc LibC.PollFd[2];
            fds[0] = new LibC.PollFd { Fd = fd, Events = events };
            fds[1] = new LibC.PollFd { Fd = _wakeup.Number, Events = LibC.POLLIN };
            while (true)
            {
                if (_closed)
                    return false;
                var ready = LibC.Poll(fds, 2, -1);
                if (ready < 0)
                {
                    var errno = LibC.Errno;
                    if (errno == Errno.EINTR)
                        continue;
                    throw new LinuxIoException("poll tun", errno);
                }
                if (fds[1].Revents != 0 || _closed)
                    return false;
                // Readable, writable, or an error state (POLLERR once the interface is deleted): the next read/write tells which.
                return true;
            }
        }
        finally
        {
            _wakeup.Unlease();
        }
    }

    /// <summary>The interface MTU (SIOCGIFMTU/SIOCSIFMTU).</summary>
    public unsafe int Mtu
    {
        get
        {
            byte* ifr = stackalloc byte[IfReqSize];
            InterfaceIoctl(SIOCGIFMTU, ifr, "SIOCGIFMTU");
            return *(int*)(ifr + IfReqUnionOffset);
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 68);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            byte* ifr = stackalloc byte[IfReqSize];
            InterfaceIoctl(SIOCSIFMTU, ifr, "SIOCSIFMTU", value);
        }
    }

    /// <summary>True if the interface is administratively up.</summary>
    public unsafe bool IsUp
    {
        get
        {
            byte* ifr = stackalloc byte[IfReqSize];
            InterfaceIoctl(SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS");
            return (*(short*)(ifr + IfReqUnionOffset) & IFF_UP) != 0;
        }
    }

    /// <summary>Brings the interface administratively up or down (SIOCSIFFLAGS).</summary>
    public unsafe void SetUp(bool up)
    {
        using var control = OpenControlSocket();
        byte* ifr = stackalloc byte[IfReqSize];
        FillName(ifr);
        LibC.Check(LibC.Ioctl(control.Number, SIOCGIFFLAGS, ifr), "ioctl SIOCGIFFLAGS");
        var flags = (short*)(ifr + IfReqUnionOffset);
        *flags = up ? (short)(*flags | IFF_UP) : (short)(*flags & ~IFF_UP);
        LibC.Check(LibC.Ioctl(control.Number, SIOCSIFFLAGS, ifr), "ioctl SIOCSIFFLAGS");
    }

    private unsafe void InterfaceIoctl(nuint request, byte* ifr, string operation, int? intArgument = null)
    {
        using var control = OpenControlSocket();
        FillName(ifr);
        if (intArgument.HasValue)
            *(int*)(ifr + IfReqUnionOffset) = intArgument.Value;
        LibC.Check(LibC.Ioctl(control.Number, request, ifr), "ioctl " + operation);
    }

    private unsafe void FillName(byte* ifr)
    {
        new Span<byte>(ifr, IfReqSize).Clear();
        var name = Name;
        if (!Exists())
            throw new LinuxIoException("interface " + name, Errno.ENODEV);
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, MaxNameLength));
    }

    /// <summary>An AF_INET datagram socket in the namespace the interface currently lives in, for SIOC* ioctls.</summary>
    private FileDescriptor OpenControlSocket()
    {
        static FileDescriptor NewSocket() =>
            new(LibC.Check(LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0), "socket"));

        using var namespaceFile = DeviceNamespace();
        if (namespaceFile == null || NetNs.IsCurrent(namespaceFile))
            return NewSocket();
        return NetNs.Run(namespaceFile, NewSocket);
    }

    /// <summary>The interface's network namespace (TUNGETDEVNETNS, Linux 5.2+), or null when the kernel cannot tell.</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle? DeviceNamespace()
    {
        using var lease = _tun.Acquire();
        var fd = LibC.Ioctl(lease.Number, TUNGETDEVNETNS, 0);
        if (fd < 0)
        {
            var errno = LibC.Errno;
            if (errno is Errno.ENOTTY or Errno.EINVAL)
                return null;
            throw new LinuxIoException("ioctl TUNGETDEVNETNS", errno);
        }
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Wakes blocked readers (they return -1) and closes the descriptor, deleting the interface.</summary>
    public unsafe void Dispose()
    {
        if (_closed)
            return;
        _closed = true;
        if (_wakeup.TryLease())
        {
            try
            {
                ulong one = 1;
                LibC.Write(_wakeup.Number, (byte*)&one, sizeof(ulong));
            }
            finally
            {
                _wakeup.Unlease();
            }
        }
        // Actual close(2) happens when the last in-flight Read/Write releases its lease.
        _tun.Dispose();
        _wakeup.Dispose();
    }

    public override string ToString() => _name;
}
