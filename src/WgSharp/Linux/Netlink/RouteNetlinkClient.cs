using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using WgSharp.Configuration;

namespace WgSharp.Linux.Netlink;

/// <summary>
/// Links, addresses and routes of one network namespace through rtnetlink: what `ip link`, `ip address` and
/// `ip route` do, without running them. Every failure is a <see cref="NetworkSetupException"/> saying what was attempted.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class RouteNetlinkClient : IDisposable
{
    private readonly NetlinkSocket _socket;

    private RouteNetlinkClient(NetlinkSocket socket) => _socket = socket;

    /// <summary>A client for the calling thread's namespace (<paramref name="netns"/> null) or the named one.</summary>
    public static RouteNetlinkClient Open(string? netns) =>
        new(netns is null ? NetlinkSocket.Open() : NetNs.Run(netns, NetlinkSocket.Open));

    /// <summary>The link called <paramref name="name"/>, or null when there is none.</summary>
    public LinkInfo? FindLink(string name)
    {
        CheckName(name);
        LinkInfo? found = null;
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_GETLINK, 0)
            .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, 0, 0)
            .String(RtNetlink.IFLA_IFNAME, name);
        int errno = _socket.TryExecute(request, $"look up link {name}", (in NetlinkMessage m) => found ??= ParseLink(m), out string? detail);
        if (errno is Errno.ENODEV) return null;
        if (errno != 0) throw new NetworkSetupException($"look up link {name}", errno, detail);
        return found;
    }

    /// <summary>Every link of the namespace.</summary>
    public IReadOnlyList<LinkInfo> Links()
    {
        var links = new List<LinkInfo>();
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_GETLINK, RtNetlink.NLM_F_DUMP).InterfaceInfo(RtNetlink.AF_UNSPEC, 0, 0, 0);
        int errno = _socket.TryExecute(request, "list links", (in NetlinkMessage m) => { if (ParseLink(m) is { } link) links.Add(link); }, out string? detail);
        if (errno != 0) throw new NetworkSetupException("list links", errno, detail);
        return links;
    }

    /// <summary>The addresses of the link with <paramref name="index"/> (every link's when 0).</summary>
    public IReadOnlyList<AddressInfo> Addresses(int index = 0)
    {
        var addresses = new List<AddressInfo>();
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_GETADDR, RtNetlink.NLM_F_DUMP).AddressInfo(RtNetlink.AF_UNSPEC, 0, 0, 0, 0);
        int errno = _socket.TryExecute(request, "list addresses", (in NetlinkMessage m) =>
        {
            if (ParseAddress(m) is { } address && (index == 0 || address.InterfaceIndex == index)) addresses.Add(address);
        }, out string? detail);
        if (errno != 0) throw new NetworkSetupException("list addresses", errno, detail);
        return addresses;
    }

    /// <summary>Sets the link up or down (`ip link set dev NAME up|down`).</summary>
    public void SetLinkUp(string name, bool up)
    {
        CheckName(name);
        _socket.Execute(
            new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, 0)
                .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, up ? RtNetlink.IFF_UP : 0, RtNetlink.IFF_UP)
                .String(RtNetlink.IFLA_IFNAME, name),
            $"set link {name} {(up ? "up" : "down")}");
    }

    /// <summary>Sets the link's MTU.</summary>
    public void SetMtu(string name, int mtu)
    {
        CheckName(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        _socket.Execute(
            new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, 0)
                .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, 0, 0)
                .String(RtNetlink.IFLA_IFNAME, name)
                .UInt32(RtNetlink.IFLA_MTU, (uint)mtu),
            $"set the MTU of link {name} to {mtu.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Moves the link into the namespace <paramref name="targetNamespace"/> refers to.</summary>
    public void MoveLink(string name, SafeFileHandle targetNamespace, string targetName)
    {
        CheckName(name);
        bool added = false;
        targetNamespace.DangerousAddRef(ref added);
        try
        {
            _socket.Execute(
                new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, 0)
                    .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, 0, 0)
                    .String(RtNetlink.IFLA_IFNAME, name)
                    .UInt32(RtNetlink.IFLA_NET_NS_FD, (uint)targetNamespace.DangerousGetHandle()),
                $"move link {name} to network namespace '{targetName}'");
        }
        finally
        {
            if (added) targetNamespace.DangerousRelease();
        }
    }

    /// <summary>Deletes the link (`ip link del dev NAME`).</summary>
    public void DeleteLink(string name)
    {
        CheckName(name);
        _socket.Execute(
            new NetlinkMessageBuilder(RtNetlink.RTM_DELLINK, 0)
                .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, 0, 0)
                .String(RtNetlink.IFLA_IFNAME, name),
            $"delete link {name}");
    }

    /// <summary>Adds an address (IPv6 without duplicate address detection, so it is usable at once, as `nodad`).</summary>
    public void AddAddress(string name, IpPrefix prefix) =>
        ChangeAddress(RtNetlink.RTM_NEWADDR, RtNetlink.NLM_F_CREATE | RtNetlink.NLM_F_EXCL, name, prefix, $"add address {Text(prefix)} to link {name}");

    /// <summary>Removes an address.</summary>
    public void DeleteAddress(string name, IpPrefix prefix) =>
        ChangeAddress(RtNetlink.RTM_DELADDR, 0, name, prefix, $"delete address {Text(prefix)} from link {name}");

    private void ChangeAddress(ushort type, ushort flags, string name, IpPrefix prefix, string attempted)
    {
        int index = IndexOf(name, attempted);
        byte family = Family(prefix.Address);
        byte addressFlags = family == RtNetlink.AF_INET6 ? RtNetlink.IFA_F_NODAD : (byte)0;
        Span<byte> address = stackalloc byte[16];
        prefix.Address.TryWriteBytes(address, out int length);
        var request = new NetlinkMessageBuilder(type, flags)
            .AddressInfo(family, (byte)prefix.Bits, addressFlags, RtNetlink.RT_SCOPE_UNIVERSE, index)
            .Attribute(RtNetlink.IFA_LOCAL, address[..length])
            .Attribute(RtNetlink.IFA_ADDRESS, address[..length]);
        if (addressFlags != 0) request.UInt32(RtNetlink.IFA_FLAGS, addressFlags);
        _socket.Execute(request, attempted);
    }

    /// <summary>Adds a route to <paramref name="prefix"/> through the link (`ip route add PREFIX dev NAME`: link scope, main table).</summary>
    public void AddRoute(IpPrefix prefix, string name)
    {
        string attempted = $"add route {Text(prefix)} dev {name}";
        int index = IndexOf(name, attempted);
        var network = prefix.Masked();
        Span<byte> destination = stackalloc byte[16];
        network.Address.TryWriteBytes(destination, out int length);
        byte family = Family(prefix.Address);
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_NEWROUTE, RtNetlink.NLM_F_CREATE | RtNetlink.NLM_F_EXCL)
            .RouteInfo(family, (byte)prefix.Bits, family == RtNetlink.AF_INET ? RtNetlink.RT_SCOPE_LINK : RtNetlink.RT_SCOPE_UNIVERSE)
            .Attribute(RtNetlink.RTA_DST, destination[..length])
            .UInt32(RtNetlink.RTA_OIF, (uint)index);
        _socket.Execute(request, attempted);
    }

    private int IndexOf(string name, string attempted) =>
        FindLink(name)?.Index ?? throw new NetworkSetupException(attempted, Errno.ENODEV);

    /// <summary>A link from an RTM_NEWLINK message; null when it is malformed or names no link.</summary>
    internal static LinkInfo? ParseLink(in NetlinkMessage message)
    {
        if (message.Type != RtNetlink.RTM_NEWLINK || message.Payload.Length < RtNetlink.IfInfoLength) return null;
        var payload = message.Payload;
        int index = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]);
        string? name = null, kind = null, alias = null;
        int mtu = 0;
        var attributes = new NetlinkAttributeReader(payload[RtNetlink.IfInfoLength..]);
        NetlinkRead read;
        while ((read = attributes.Next(out ushort type, out var value)) == NetlinkRead.Read)
        {
            switch (type)
            {
                case RtNetlink.IFLA_IFNAME: name = NetlinkAttributeReader.AsString(value); break;
                case RtNetlink.IFLA_IFALIAS: alias = NetlinkAttributeReader.AsString(value); break;
                case RtNetlink.IFLA_MTU when NetlinkAttributeReader.TryReadUInt32(value, out uint m) && m <= int.MaxValue: mtu = (int)m; break;
                case RtNetlink.IFLA_LINKINFO: kind = ParseKind(value); break;
            }
        }
        return read == NetlinkRead.Malformed || name is null || index <= 0 ? null : new LinkInfo(index, name, flags, mtu, kind, alias);
    }

    private static string? ParseKind(ReadOnlySpan<byte> linkInfo)
    {
        var nested = new NetlinkAttributeReader(linkInfo);
        while (nested.Next(out ushort type, out var value) == NetlinkRead.Read)
            if (type == RtNetlink.IFLA_INFO_KIND) return NetlinkAttributeReader.AsString(value);
        return null;
    }

    /// <summary>An address from an RTM_NEWADDR message; null when it is malformed.</summary>
    internal static AddressInfo? ParseAddress(in NetlinkMessage message)
    {
        if (message.Type != RtNetlink.RTM_NEWADDR || message.Payload.Length < RtNetlink.IfAddrLength) return null;
        var payload = message.Payload;
        byte family = payload[0];
        int expected = family switch { RtNetlink.AF_INET => 4, RtNetlink.AF_INET6 => 16, _ => 0 };
        if (expected == 0) return null;
        int prefixLength = payload[1];
        uint flags = payload[2];
        int index = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        IPAddress? local = null, address = null;
        var attributes = new NetlinkAttributeReader(payload[RtNetlink.IfAddrLength..]);
        NetlinkRead read;
        while ((read = attributes.Next(out ushort type, out var value)) == NetlinkRead.Read)
        {
            if (type == RtNetlink.IFA_FLAGS && NetlinkAttributeReader.TryReadUInt32(value, out uint all)) flags = all;
            else if (value.Length != expected) continue;
            else if (type == RtNetlink.IFA_LOCAL) local = new IPAddress(value);
            else if (type == RtNetlink.IFA_ADDRESS) address = new IPAddress(value);
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links (as `ip` shows).
        var own = local ?? address;
        if (read == NetlinkRead.Malformed || own is null || prefixLength > expected * 8) return null;
        return new AddressInfo(index, own, prefixLength, flags);
    }

    private static byte Family(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? RtNetlink.AF_INET : RtNetlink.AF_INET6;

    private static string Text(IpPrefix prefix) => $"{prefix.Address}/{prefix.Bits.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Linux interface names are 1-15 bytes without '/', ':' or white space.</summary>
    private static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 15 || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7e))
            throw new ArgumentException($"invalid interface name '{name}'", nameof(name));
    }

    public void Dispose() => _socket.Dispose();
}
