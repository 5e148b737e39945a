using System.Buffers.Binary;
using WgSharp.Packets;

namespace WgSharp.Netstack.Tcp;

/// <summary>TCP header flag bits (RFC 9293 3.1).</summary>
internal static class TcpFlags
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;
}

/// <summary>
/// One parsed TCP segment: fixed header fields, the options we use (MSS, window scale, SACK-permitted, SACK blocks,
/// timestamps) and the payload. Parsing checks every length; a malformed option list makes the segment malformed.
/// </summary>
internal ref struct TcpSegment
{
    public const int MinHeaderLength = 20;
    public const int MaxSackBlocks = 4;

    public ushort SourcePort;
    public ushort DestinationPort;
    public uint Seq;
    public uint Ack;
    public byte Flags;
    public ushort Window;
    public ReadOnlySpan<byte> Payload;

    public int Mss;               // 0: absent
    public int WindowScale;       // -1: absent
    public bool SackPermitted;
    public bool HasTimestamps;
    public uint TsVal;
    public uint TsEcr;
    public int SackCount;
    public SackBlocks Sacks;

    public readonly bool Has(byte flag) => (Flags & flag) != 0;

    /// <summary>Sequence space the segment occupies: data plus one each for SYN and FIN.</summary>
    public readonly int SegmentLength => Payload.Length + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);

    /// <summary>Parses <paramref name="bytes"/> (TCP header and data); false when it is malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out TcpSegment segment)
    {
        segment = default;
        segment.WindowScale = -1;
        if (bytes.Length < MinHeaderLength) return false;
        int dataOffset = (bytes[12] >> 4) * 4;
        if (dataOffset < MinHeaderLength || dataOffset > bytes.Length) return false;
        segment.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        segment.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        segment.Seq = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        segment.Ack = BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]);
        segment.Flags = (byte)(bytes[13] & 0x3F);
        segment.Window = BinaryPrimitives.ReadUInt16BigEndian(bytes[14..]);
        segment.Payload = bytes[dataOffset..];
        return ParseOptions(bytes[MinHeaderLength..dataOffset], ref segment);
    }

    private static bool ParseOptions(ReadOnlySpan<byte> options, ref TcpSegment segment)
    {
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == 0) break;                 // end of option list
            if (kind == 1) { i++; continue; }     // no-op
            if (i + 1 >= options.Length) return false;
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length) return false;
            var body = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case 2 when body.Length == 2: segment.Mss = BinaryPrimitives.ReadUInt16BigEndian(body); break;
                case 3 when body.Length == 1: segment.WindowScale = Math.Min((int)body[0], 14); break; // RFC 7323 2.3: clamp to 14
                case 4 when body.Length == 0: segment.SackPermitted = true; break;
                case 5 when body.Length % 8 == 0:
                    for (int b = 0; b < body.Length / 8 && segment.SackCount < MaxSackBlocks; b++)
                    {
                        segment.Sacks[segment.SackCount * 2] = BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8)..]);
                        segment.Sacks[segment.SackCount * 2 + 1] = BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8 + 4)..]);
                        segment.SackCount++;
                    }
                    break;
                case 8 when body.Length == 8:
                    segment.HasTimestamps = true;
                    segment.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    segment.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
            }
            i += length;
        }
        return true;
    }

    /// <summary>Start and end of up to four SACK blocks, inline (no allocation).</summary>
    [System.Runtime.CompilerServices.InlineArray(MaxSackBlocks * 2)]
    public struct SackBlocks { private uint _first; }
}

/// <summary>What <see cref="TcpSegmentWriter.Write"/> puts in a segment's header.</summary>
internal ref struct TcpHeaderFields
{
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint Seq;
    public uint Ack;
    public byte Flags;
    public ushort Window;
    public int Mss;               // 0: no MSS option (only on SYN)
    public int WindowScale;       // -1: no window scale option (only on SYN)
    public bool SackPermitted;    // only on SYN
    public bool HasTimestamps;
    public uint TsVal;
    public uint TsEcr;
    public ReadOnlySpan<uint> SackBlocks; // pairs (start, end)
}

/// <summary>Writes TCP headers with options, and the checksum over the pseudo-header and data.</summary>
internal static class TcpSegmentWriter
{
    /// <summary>The header length the options of <paramref name="fields"/> need (a multiple of 4).</summary>
    public static int HeaderLength(in TcpHeaderFields fields)
    {
        int options = 0;
        if (fields.Mss > 0) options += 4;
        if (fields.WindowScale >= 0) options += 4;       // NOP + 3 bytes
        if (fields.SackPermitted) options += 4;          // 2 NOPs + 2 bytes (or with timestamps: folded below)
        if (fields.HasTimestamps) options += 12;         // 2 NOPs + 10 bytes
        if (fields.SackBlocks.Length > 0) options += 4 + fields.SackBlocks.Length * 4; // 2 NOPs + 2 + 8 per block
        return TcpSegment.MinHeaderLength + options;
    }

    /// <summary>
    /// Writes header and options into <paramref name="tcp"/>, whose <paramref name="payloadLength"/> data bytes the caller
    /// already placed after the header (at <see cref="HeaderLength"/>), and fills the checksum. Returns header + payload length.
    /// </summary>
    public static int Write(Span<byte> tcp, in TcpHeaderFields fields, int payloadLength, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        int headerLength = HeaderLength(fields);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fields.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fields.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], fields.Seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], fields.Ack);
        tcp[12] = (byte)(headerLength / 4 << 4);
        tcp[13] = fields.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], fields.Window);
        tcp[16] = 0; tcp[17] = 0; tcp[18] = 0; tcp[19] = 0;
        int o = TcpSegment.MinHeaderLength;
        if (fields.Mss > 0)
        {
            tcp[o] = 2; tcp[o + 1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(tcp[(o + 2)..], (ushort)Math.Min(fields.Mss, 65535));
            o += 4;
        }
        if (fields.WindowScale >= 0)
        {
            tcp[o] = 1; tcp[o + 1] = 3; tcp[o + 2] = 3; tcp[o + 3] = (byte)fields.WindowScale;
            o += 4;
        }
        if (fields.SackPermitted)
        {
            tcp[o] = 1; tcp[o + 1] = 1; tcp[o + 2] = 4; tcp[o + 3] = 2;
            o += 4;
        }
        if (fields.HasTimestamps)
        {
            tcp[o] = 1; tcp[o + 1] = 1; tcp[o + 2] = 8; tcp[o + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(tcp[(o + 4)..], fields.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[(o + 8)..], fields.TsEcr);
            o += 12;
        }
        if (fields.SackBlocks.Length > 0)
        {
            tcp[o] = 1; tcp[o + 1] = 1; tcp[o + 2] = 5; tcp[o + 3] = (byte)(2 + fields.SackBlocks.Length * 4);
            o += 4;
            for (int i = 0; i < fields.SackBlocks.Length; i++, o += 4)
                BinaryPrimitives.WriteUInt32BigEndian(tcp[o..], fields.SackBlocks[i]);
        }
        int total = headerLength + payloadLength;
        ulong sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, total);
        sum = InternetChecksum.Add(sum, tcp[..total]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(sum));
        return total;
    }

    /// <summary>Whether the checksum of a received segment (header and data) over its pseudo-header is right.</summary>
    public static bool ChecksumValid(ReadOnlySpan<byte> tcp, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        ulong sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, tcp.Length);
        return InternetChecksum.Fold(InternetChecksum.Add(sum, tcp)) == 0xFFFF;
    }
}
