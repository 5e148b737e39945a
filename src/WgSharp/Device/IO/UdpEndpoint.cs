using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WgSharp.Device.IO;

/// <summary>
/// An IPv4 or IPv6 UDP address and port as a plain value: storable in a peer and comparable without
/// allocation (unlike <see cref="IPEndPoint"/>). IPv4-mapped IPv6 addresses are normalised to IPv4.
/// </summary>
internal readonly struct UdpEndpoint : IEquatable<UdpEndpoint>
{
    // Address bytes in network order; an IPv4 address occupies the first 4 bytes and the rest stay zero.
    private readonly AddressBytes _address;
    private readonly uint _scopeId;

    public ushort Port { get; }
    public bool IsIPv4 { get; }
    public bool IsIPv6 => !IsIPv4 && !IsEmpty;
    public AddressFamily AddressFamily => IsIPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>True for default(UdpEndpoint): no endpoint known.</summary>
    public bool IsEmpty => !IsIPv4 && Port == 0 && _address.IsZero;

    /// <summary>IPv6 scope (interface index) for link-local addresses; 0 otherwise.</summary>
    public uint ScopeId => _scopeId;

    private UdpEndpoint(AddressBytes address, ushort port, bool isIPv4, uint scopeId)
    {
        _address = address;
        Port = port;
        IsIPv4 = isIPv4;
        _scopeId = scopeId;
    }

    /// <summary>From raw address bytes: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped becomes IPv4).</summary>
    public static UdpEndpoint Create(ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        var bytes = default(AddressBytes);
        if (address.Length == 4)
        {
            address.CopyTo(bytes);
            return new UdpEndpoint(bytes, port, isIPv4: true, 0);
        }
        if (address.Length != 16)
            throw new ArgumentException("an IP address is 4 or 16 bytes", nameof(address));
        if (IsV4Mapped(address))
        {
            address[12..].CopyTo(bytes);
            return new UdpEndpoint(bytes, port, isIPv4: true, 0);
        }
        address.CopyTo(bytes);
        return new UdpEndpoint(bytes, port, isIPv4: false, scopeId);
    }

    public static UdpEndpoint FromIPEndPoint(IPEndPoint endPoint)
    {
        Span<byte> address = stackalloc byte[16];
        if (!endPoint.Address.TryWriteBytes(address, out var written))
            throw new ArgumentException("unsupported address", nameof(endPoint));
        var scope = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? (uint)endPoint.Address.ScopeId : 0;
        return Create(address[..written], (ushort)endPoint.Port, scope);
    }

    /// <summary>Parses "1.2.3.4:51820" or "[2001:db8::1]:51820" (numeric addresses only, no DNS).</summary>
    public static bool TryParse(string? text, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (text == null || !IPEndPoint.TryParse(text, out var parsed) || parsed.Port == 0)
            return false;
        // IPEndPoint.TryParse accepts "::1:51820"-style ambiguity; WireGuard requires brackets for IPv6.
        if (parsed.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('['))
            return false;
        endpoint = FromIPEndPoint(parsed);
        return true;
    }

    public ReadOnlySpan<byte> AddressSpan =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<AddressBytes, byte>(ref Unsafe.AsRef(in _address)), IsIPv4 ? 4 : 16);

    public IPAddress Address => IsIPv4 ? new IPAddress(AddressSpan) : new IPAddress(AddressSpan, _scopeId);

    public IPEndPoint ToIPEndPoint() => new(Address, Port);

    /// <summary>Fills a socket address of this endpoint's family (as used by the send path).</summary>
    internal void WriteTo(SocketAddress socketAddress)
    {
        var buffer = socketAddress.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], Port);
        if (IsIPv4)
        {
            AddressSpan.CopyTo(buffer[4..8]);
            buffer[8..16].Clear();
            socketAddress.Size = SockAddrIn4Size;
        }
        else
        {
            buffer[4..8].Clear(); // flow info
            AddressSpan.CopyTo(buffer[8..24]);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..28], _scopeId); // host order (little-endian Linux targets)
            socketAddress.Size = SockAddrIn6Size;
        }
    }

    /// <summary>Reads a socket address filled by the kernel (receive path).</summary>
    internal static UdpEndpoint ReadFrom(SocketAddress socketAddress) =>
        ReadFrom(socketAddress.Buffer.Span, socketAddress.Family == AddressFamily.InterNetwork);

    /// <summary>Reads a raw sockaddr_in (<paramref name="isIPv4"/>) or sockaddr_in6 filled by the kernel.</summary>
    internal static UdpEndpoint ReadFrom(ReadOnlySpan<byte> sockaddr, bool isIPv4)
    {
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return isIPv4
            ? Create(sockaddr[4..8], port)
            : Create(sockaddr[8..24], port, BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..28]));
    }

    internal const int SockAddrIn4Size = 16;
    internal const int SockAddrIn6Size = 28;

    private static bool IsV4Mapped(ReadOnlySpan<byte> address) =>
        address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xff && address[11] == 0xff;

    public bool Equals(UdpEndpoint other) =>
        Port == other.Port && IsIPv4 == other.IsIPv4 && _scopeId == other._scopeId && _address.Equals(other._address);

    public override bool Equals(object? obj) => obj is UdpEndpoint other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(_address.GetHashCode(), Port, IsIPv4, _scopeId);
    public static bool operator ==(UdpEndpoint left, UdpEndpoint right) => left.Equals(right);
    public static bool operator !=(UdpEndpoint left, UdpEndpoint right) => !left.Equals(right);

    /// <summary>"1.2.3.4:51820" or "[2001:db8::1]:51820", the way `wg` prints endpoints; "(none)" when empty.</summary>
    public override string ToString() => IsEmpty ? "(none)" : ToIPEndPoint().ToString();

    [InlineArray(16)]
    private struct AddressBytes : IEquatable<AddressBytes>
    {
        private byte _first;

        private readonly ReadOnlySpan<byte> Span => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _first), 16);
        public readonly bool IsZero => Span.IndexOfAnyExcept((byte)0) < 0;
        public readonly bool Equals(AddressBytes other) => Span.SequenceEqual(other.Span);
        public override readonly bool Equals(object? obj) => obj is AddressBytes other && Equals(other);
        public override readonly int GetHashCode()
        {
            var words = MemoryMarshal.Cast<byte, ulong>(Span);
            return (words[0] ^ (words[1] * 31)).GetHashCode();
        }
    }
}

/// <summary>
/// The local address a datagram arrived at (its destination address, from IP_PKTINFO / IPV6_PKTINFO) and the
/// index of the interface it came in on: what a reply to its sender must leave from ("sticky" source address,
/// as the Linux module and wireguard-go keep per peer). <see cref="Address"/>'s port is always 0.
/// default is "not known": the kernel picks the source by route.
/// </summary>
internal readonly struct LocalAddress : IEquatable<LocalAddress>
{
    public LocalAddress(UdpEndpoint address, int interfaceIndex)
    {
        Address = address;
        InterfaceIndex = interfaceIndex;
    }

    /// <summary>The address (port 0); empty when unknown.</summary>
    public UdpEndpoint Address { get; }

    /// <summary>The receiving interface's index; 0 when unknown.</summary>
    public int InterfaceIndex { get; }

    public bool IsEmpty => Address.IsEmpty;

    public bool Equals(LocalAddress other) => InterfaceIndex == other.InterfaceIndex && Address.Equals(other.Address);
    public override bool Equals(object? obj) => obj is LocalAddress other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Address, InterfaceIndex);
    public static bool operator ==(LocalAddress left, LocalAddress right) => left.Equals(right);
    public static bool operator !=(LocalAddress left, LocalAddress right) => !left.Equals(right);
    public override string ToString() => IsEmpty ? "(none)" : $"{Address.Address}%{InterfaceIndex}";
}
