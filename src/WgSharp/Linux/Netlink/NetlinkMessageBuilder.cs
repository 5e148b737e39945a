using System.Buffers.Binary;
using System.Text;

namespace WgSharp.Linux.Netlink;

/// <summary>
/// Builds one netlink request: the header, the family's fixed part (ifinfomsg, ifaddrmsg, rtmsg) and attributes,
/// in host byte order as the kernel reads them (little-endian: x86-64 and arm64). Requests are small and made on configuration paths only.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    /// <summary>Larger than any request this client makes (a name, an alias, an address and a few numbers).</summary>
    public const int Capacity = 1024;

    private readonly byte[] _buffer = new byte[Capacity];
    private int _length = RtNetlink.HeaderLength;

    public NetlinkMessageBuilder(ushort type, ushort flags)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), (ushort)(flags | RtNetlink.NLM_F_REQUEST));
    }

    public ushort Type => BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(4));

    public ushort Flags
    {
        get => BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(6));
        set => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), (ushort)(value | RtNetlink.NLM_F_REQUEST));
    }

    /// <summary>The message as it goes to the kernel, its length and <paramref name="sequence"/> filled in.</summary>
    public ReadOnlySpan<byte> Finish(uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), sequence);
        return _buffer.AsSpan(0, _length);
    }

    /// <summary>struct ifinfomsg: which link (<paramref name="index"/> 0: named by IFLA_IFNAME) and which flags change.</summary>
    public NetlinkMessageBuilder InterfaceInfo(byte family, int index, uint flags, uint change)
    {
        var span = Reserve(RtNetlink.IfInfoLength);
        span[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], change);
        return this;
    }

    /// <summary>struct ifaddrmsg.</summary>
    public NetlinkMessageBuilder AddressInfo(byte family, byte prefixLength, byte flags, byte scope, int index)
    {
        var span = Reserve(RtNetlink.IfAddrLength);
        span[0] = family;
        span[1] = prefixLength;
        span[2] = flags;
        span[3] = scope;
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], index);
        return this;
    }

    /// <summary>struct rtmsg for a unicast route in the main table.</summary>
    public NetlinkMessageBuilder RouteInfo(byte family, byte destinationLength, byte scope)
    {
        var span = Reserve(RtNetlink.RtMsgLength);
        span[0] = family;
        span[1] = destinationLength;
        span[4] = RtNetlink.RT_TABLE_MAIN;
        span[5] = RtNetlink.RTPROT_BOOT;
        span[6] = scope;
        span[7] = RtNetlink.RTN_UNICAST;
        return this;
    }

    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var span = Reserve(RtNetlink.AttributeHeaderLength + value.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(RtNetlink.AttributeHeaderLength + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        value.CopyTo(span[RtNetlink.AttributeHeaderLength..]);
        return this;
    }

    public NetlinkMessageBuilder UInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Attribute(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute (interface names, kinds).</summary>
    public NetlinkMessageBuilder String(ushort type, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (count + 1 > Capacity / 2) throw new ArgumentException("netlink string attribute too long", nameof(value));
        Span<byte> bytes = stackalloc byte[count + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[count] = 0;
        return Attribute(type, bytes);
    }

    /// <summary>Starts a nested attribute; <see cref="EndNested"/> with the returned offset closes it.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        Attribute(type, []);
        return start;
    }

    public NetlinkMessageBuilder EndNested(int start)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));
        return this;
    }

    private Span<byte> Reserve(int length)
    {
        int aligned = RtNetlink.Align(length);
        if (_length + aligned > Capacity) throw new InvalidOperationException("netlink request larger than its buffer");
        var span = _buffer.AsSpan(_length, aligned);
        span.Clear(); // padding is zero
        _length += aligned;
        return span[..length];
    }
}
