namespace WgSharp.Packets;

/// <summary>
/// What <see cref="IpPacketReader"/> found in one IPv4 or IPv6 packet: its addresses, the upper-layer protocol
/// after any extension headers, and that protocol's bytes (trimmed to the length the IP header states). Spans
/// point into the packet; nothing is copied.
/// </summary>
internal readonly ref struct IpPacketInfo
{
    /// <summary>IPv6 (else IPv4).</summary>
    public bool IsIPv6 { get; init; }

    /// <summary>The source address: 4 bytes (IPv4) or 16 (IPv6).</summary>
    public ReadOnlySpan<byte> Source { get; init; }

    /// <summary>The destination address: 4 bytes (IPv4) or 16 (IPv6).</summary>
    public ReadOnlySpan<byte> Destination { get; init; }

    /// <summary>The upper-layer protocol (<see cref="IpProtocol"/>), after IPv6 extension headers.</summary>
    public byte Protocol { get; init; }

    /// <summary>The upper-layer bytes (for a fragment: this fragment's data).</summary>
    public ReadOnlySpan<byte> Payload { get; init; }

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte HopLimit { get; init; }

    /// <summary>The whole packet as the IP header bounds it (without trailing padding).</summary>
    public ReadOnlySpan<byte> Packet { get; init; }

    /// <summary>A fragment (IPv4 MF or offset != 0; IPv6 with a Fragment header): reassemble before use.</summary>
    public bool IsFragment { get; init; }

    /// <summary>For a fragment: its data's offset in the original payload, in bytes.</summary>
    public int FragmentOffset { get; init; }

    /// <summary>For a fragment: more fragments follow.</summary>
    public bool MoreFragments { get; init; }

    /// <summary>For a fragment: the identification (16 bits for IPv4, 32 for IPv6).</summary>
    public uint FragmentId { get; init; }

    /// <summary>
    /// Bytes from the packet's start to the first byte of the unfragmentable part's end (IPv4: the header; IPv6: the
    /// fixed header plus extension headers before the Fragment header). Reassembly keeps these from the first fragment.
    /// </summary>
    public int HeaderLength { get; init; }
}

/// <summary>IP protocol numbers the stack handles.</summary>
internal static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;
}

/// <summary>Why <see cref="IpPacketReader.TryRead"/> refused a packet (each is a drop counter).</summary>
internal enum IpReadResult
{
    Ok,
    /// <summary>Not IPv4/IPv6, a header or length field that does not fit, a bad IPv4 header checksum.</summary>
    Malformed,
    /// <summary>Well-formed, but nothing this stack accepts (an IPv6 routing header with segments left, too many extension headers, ...).</summary>
    Unsupported,
}
