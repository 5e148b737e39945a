using System.Buffers.Binary;
using System.Text;

namespace WgSharp.Linux.Netlink;

/// <summary>One netlink message of a reply: its header fields and payload (the bytes after the 16-byte header).</summary>
internal readonly ref struct NetlinkMessage(ushort type, ushort flags, uint sequence, ReadOnlySpan<byte> payload)
{
    public ushort Type { get; init; } = type;
    public ushort Flags { get; init; } = flags;
    public uint Sequence { get; } = sequence;
    public ReadOnlySpan<byte> Payload { get; } = payload;
}

/// <summary>How reading the next message or attribute went: bytes from the kernel are checked, never trusted.</summary>
internal enum NetlinkRead
{
    Read,
    End,
    Malformed,
}

/// <summary>Splits a received datagram into messages, checking every length before it is used.</summary>
internal static class NetlinkMessageReader
{
    /// <summary>Reads the message at <paramref name="offset"/> and moves past it.</summary>
    public static NetlinkRead Next(ReadOnlySpan<byte> buffer, ref int offset, out NetlinkMessage message)
    {
        message = default;
        if (offset >= buffer.Length) return NetlinkRead.End;
        var rest = buffer[offset..];
        if (rest.Length < RtNetlink.HeaderLength) return NetlinkRead.Malformed;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        if (length < RtNetlink.HeaderLength || length > (uint)rest.Length) return NetlinkRead.Malformed;
        message = new NetlinkMessage(
            BinaryPrimitives.ReadUInt16LittleEndian(rest[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(rest[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]),
            rest[RtNetlink.HeaderLength..(int)length]);
        offset += Math.Min(RtNetlink.Align((int)length), rest.Length);
        return NetlinkRead.Read;
    }

    /// <summary>
    /// The errno of an NLMSG_ERROR payload (0 for an acknowledgement) and the kernel's extended-ack text if it sent
    /// one. False when the payload is too short to hold the error code.
    /// </summary>
    public static bool TryReadError(in NetlinkMessage message, out int errno, out string? detail)
    {
        errno = 0;
        detail = null;
        var payload = message.Payload;
        if (payload.Length < 4) return false;
        int error = BinaryPrimitives.ReadInt32LittleEndian(payload);
        errno = error == int.MinValue ? int.MaxValue : -error;
        if ((message.Flags & RtNetlink.NLM_F_ACK_TLVS) == 0) return true;
        // After the code: the request's header (capped) or the whole request, then the attributes.
        var rest = payload[4..];
        if (rest.Length < RtNetlink.HeaderLength) return true;
        int echoed = (message.Flags & RtNetlink.NLM_F_CAPPED) != 0
            ? RtNetlink.HeaderLength
            : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(rest), (uint)rest.Length);
        if (echoed < RtNetlink.HeaderLength) return true;
        var attributes = new NetlinkAttributeReader(rest[Math.Min(RtNetlink.Align(echoed), rest.Length)..]);
        while (attributes.Next(out ushort type, out var value) == NetlinkRead.Read)
            if (type == RtNetlink.NLMSGERR_ATTR_MSG) detail = NetlinkAttributeReader.AsString(value);
        return true;
    }
}

/// <summary>Walks the attributes (struct nlattr) of a payload, checking every length before it is used.</summary>
internal ref struct NetlinkAttributeReader(ReadOnlySpan<byte> attributes)
{
    private readonly ReadOnlySpan<byte> _attributes = attributes;
    private int _offset;

    /// <summary>The next attribute's type (without the nested and byte-order bits) and value.</summary>
    public NetlinkRead Next(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_offset >= _attributes.Length) return NetlinkRead.End;
        var rest = _attributes[_offset..];
        if (rest.Length < RtNetlink.AttributeHeaderLength) return NetlinkRead.Malformed;
        ushort length = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        if (length < RtNetlink.AttributeHeaderLength || length > rest.Length) return NetlinkRead.Malformed;
        type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(rest[2..]) & 0x3FFF);
        value = rest[RtNetlink.AttributeHeaderLength..length];
        _offset += Math.Min(RtNetlink.Align(length), rest.Length);
        return NetlinkRead.Read;
    }

    /// <summary>A string attribute's text, up to its first NUL.</summary>
    public static string AsString(ReadOnlySpan<byte> value)
    {
        int end = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? value : value[..end]);
    }

    /// <summary>A 32-bit attribute; false when the value has another size.</summary>
    public static bool TryReadUInt32(ReadOnlySpan<byte> value, out uint result)
    {
        result = 0;
        if (value.Length != 4) return false;
        result = BinaryPrimitives.ReadUInt32LittleEndian(value);
        return true;
    }
}
