using System.Buffers.Binary;
using System.Net;

namespace WgSharp.Netstack.Dns;

/// <summary>The record types the resolver asks for or follows (RFC 1035 3.2.2, RFC 3596).</summary>
internal enum DnsRecordType : ushort
{
    A = 1,
    Cname = 5,
    Aaaa = 28,
}

/// <summary>What <see cref="DnsMessage.TryParseResponse"/> made of a datagram.</summary>
internal enum DnsParseStatus
{
    /// <summary>A response to our query (its RCODE may still be an error).</summary>
    Ok,
    /// <summary>Not the answer to our query (other ID, other question, not a response): ignore it and keep waiting.</summary>
    Mismatch,
    /// <summary>Lengths or names that do not hold together: ignore it.</summary>
    Malformed,
}

/// <summary>A parsed response: its RCODE, the addresses the question's name leads to (CNAMEs followed), and their TTL.</summary>
internal readonly record struct DnsAnswer(int ResponseCode, bool Truncated, IPAddress[] Addresses, uint TtlSeconds)
{
    public const int NoError = 0, FormatError = 1, ServerFailure = 2, NameError = 3, Refused = 5;
}

/// <summary>
/// DNS wire format, the little a stub resolver needs (RFC 1035 4.1): builds an A/AAAA query, parses the response.
/// Parsing treats the bytes as hostile: every length is checked, compression pointers may only point backwards (so
/// they cannot loop) and at most <see cref="MaxPointerJumps"/> are followed per name, and nothing throws.
/// </summary>
internal static class DnsMessage
{
    public const int HeaderSize = 12;
    /// <summary>The largest name on the wire (RFC 1035 2.3.4), length bytes included.</summary>
    public const int MaxWireNameLength = 255;
    public const int MaxLabelLength = 63;
    /// <summary>Largest query we build: header, name, type and class.</summary>
    public const int MaxQuerySize = HeaderSize + MaxWireNameLength + 4;
    public const int MaxPointerJumps = 32;
    /// <summary>CNAME hops followed from the question's name before giving up on the chain.</summary>
    public const int MaxCnameHops = 8;
    /// <summary>Answer records looked at per response (a response can claim 65,535).</summary>
    public const int MaxAnswers = 64;

    private const ushort ClassIn = 1;
    private const ushort FlagResponse = 0x8000, FlagTruncated = 0x0200, FlagRecursionDesired = 0x0100;

    /// <summary>
    /// Whether <paramref name="name"/> (lower-case ASCII, no trailing dot) can go on the wire: labels of 1-63 bytes,
    /// 255 bytes in all.
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length + 2 > MaxWireNameLength) return false;
        int labelLength = 0;
        foreach (char c in name)
        {
            if (c > 0x7f) return false;
            if (c == '.')
            {
                if (labelLength == 0) return false;
                labelLength = 0;
                continue;
            }
            if (++labelLength > MaxLabelLength) return false;
        }
        return labelLength > 0;
    }

    /// <summary>
    /// Writes a recursive query for <paramref name="name"/>'s <paramref name="type"/> records into <paramref name="destination"/>
    /// (at least <see cref="MaxQuerySize"/> bytes) and returns its length. ArgumentException when the name is not valid.
    /// </summary>
    public static int WriteQuery(Span<byte> destination, ushort id, string name, DnsRecordType type)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a valid DNS name", nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, MaxQuerySize, nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], FlagRecursionDesired);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1); // QDCOUNT
        destination[6..HeaderSize].Clear(); // ANCOUNT, NSCOUNT, ARCOUNT
        int position = HeaderSize;
        int labelStart = position++;
        foreach (char c in name)
        {
            if (c == '.')
            {
                destination[labelStart] = (byte)(position - labelStart - 1);
                labelStart = position++;
                continue;
            }
            destination[position++] = (byte)c;
        }
        destination[labelStart] = (byte)(position - labelStart - 1);
        destination[position++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[position..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 2)..], ClassIn);
        return position + 4;
    }

    /// <summary>
    /// Parses <paramref name="response"/> as the answer to the query <paramref name="id"/> for <paramref name="name"/>'s
    /// <paramref name="type"/> records. <see cref="DnsParseStatus.Mismatch"/> when it answers something else (ID, question,
    /// not a response), <see cref="DnsParseStatus.Malformed"/> when its bytes do not hold together. Never throws.
    /// </summary>
    public static DnsParseStatus TryParseResponse(ReadOnlySpan<byte> response, ushort id, string name, DnsRecordType type, out DnsAnswer answer)
    {
        answer = default;
        if (response.Length < HeaderSize) return DnsParseStatus.Malformed;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(response[2..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(response) != id || (flags & FlagResponse) == 0 || ((flags >> 11) & 0xf) != 0)
            return DnsParseStatus.Mismatch;
        if (BinaryPrimitives.ReadUInt16BigEndian(response[4..]) != 1) return DnsParseStatus.Mismatch;
        int answerCount = BinaryPrimitives.ReadUInt16BigEndian(response[6..]);

        int position = HeaderSize;
        if (!TryReadName(response, ref position, out var questionName)) return DnsParseStatus.Malformed;
        if (position + 4 > response.Length) return DnsParseStatus.Malformed;
        if (!string.Equals(questionName, name, StringComparison.OrdinalIgnoreCase)
            || BinaryPrimitives.ReadUInt16BigEndian(response[position..]) != (ushort)type
            || BinaryPrimitives.ReadUInt16BigEndian(response[(position + 2)..]) != ClassIn)
            return DnsParseStatus.Mismatch;
        position += 4;

        int responseCode = flags & 0xf;
        bool truncated = (flags & FlagTruncated) != 0;
        if (responseCode != DnsAnswer.NoError)
        {
            answer = new DnsAnswer(responseCode, truncated, [], 0);
            return DnsParseStatus.Ok;
        }

        // Read the answer section once; then follow the chain from the question's name through it.
        var records = new List<Record>(Math.Min(answerCount, MaxAnswers));
        for (int i = 0; i < answerCount; i++)
        {
            if (!TryReadName(response, ref position, out var owner)) return DnsParseStatus.Malformed;
            if (position + 10 > response.Length) return DnsParseStatus.Malformed;
            var recordType = BinaryPrimitives.ReadUInt16BigEndian(response[position..]);
            var recordClass = BinaryPrimitives.ReadUInt16BigEndian(response[(position + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(response[(position + 4)..]);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(response[(position + 8)..]);
            int dataStart = position + 10;
            if (dataStart + dataLength > response.Length) return DnsParseStatus.Malformed;
            position = dataStart + dataLength;
            if (ttl > int.MaxValue) ttl = 0; // RFC 2181 8: a TTL with the top bit set is zero
            if (recordClass != ClassIn || records.Count == MaxAnswers) continue;

            if (recordType == (ushort)DnsRecordType.Cname)
            {
                int targetPosition = dataStart;
                if (!TryReadName(response, ref targetPosition, out var target) || targetPosition > position) return DnsParseStatus.Malformed;
                records.Add(new Record(owner, DnsRecordType.Cname, ttl, null, target));
            }
            else if (recordType == (ushort)type)
            {
                int expected = type == DnsRecordType.A ? 4 : 16;
                if (dataLength != expected) return DnsParseStatus.Malformed;
                records.Add(new Record(owner, type, ttl, new IPAddress(response.Slice(dataStart, dataLength)), null));
            }
        }

        var addresses = new List<IPAddress>();
        uint minTtl = uint.MaxValue;
        string current = name;
        for (int hop = 0; hop <= MaxCnameHops; hop++)
        {
            string? next = null;
            foreach (var record in records)
            {
                if (!string.Equals(record.Owner, current, StringComparison.OrdinalIgnoreCase)) continue;
                if (record.Address is { } address)
                {
                    if (!addresses.Contains(address)) addresses.Add(address);
                    minTtl = Math.Min(minTtl, record.Ttl);
                }
                else if (next is null && record.Target is { } target)
                {
                    next = target;
                    minTtl = Math.Min(minTtl, record.Ttl);
                }
            }
            if (addresses.Count > 0 || next is null) break;
            current = next;
        }
        answer = new DnsAnswer(DnsAnswer.NoError, truncated, [.. addresses], addresses.Count == 0 ? 0 : minTtl);
        return DnsParseStatus.Ok;
    }

    /// <summary>
    /// Reads the (possibly compressed) name at <paramref name="position"/>, lower-cased with dots between labels, and moves
    /// <paramref name="position"/> past it (past the first pointer, when there is one). False when it is malformed.
    /// </summary>
    internal static bool TryReadName(ReadOnlySpan<byte> message, ref int position, out string name)
    {
        name = "";
        Span<char> text = stackalloc char[MaxWireNameLength];
        int textLength = 0;
        int wireLength = 0;
        int cursor = position;
        int resumeAt = -1; // where the caller continues: right after the first pointer
        int jumps = 0;
        while (true)
        {
            if (cursor >= message.Length) return false;
            byte length = message[cursor];
            if (length == 0)
            {
                cursor++;
                break;
            }
            switch (length & 0xc0)
            {
                case 0xc0:
                    if (cursor + 1 >= message.Length || ++jumps > MaxPointerJumps) return false;
                    int target = ((length & 0x3f) << 8) | message[cursor + 1];
                    // Strictly backwards: a pointer can never lead to itself or to a later pointer back to it.
                    if (target >= cursor) return false;
                    if (resumeAt < 0) resumeAt = cursor + 2;
                    cursor = target;
                    continue;
                case 0x00:
                    break;
                default:
                    return false; // extended label types (RFC 6891 obsoleted them): not ours to parse
            }
            wireLength += length + 1;
            if (wireLength + 1 > MaxWireNameLength || cursor + 1 + length > message.Length) return false;
            if (textLength > 0) text[textLength++] = '.';
            foreach (byte b in message.Slice(cursor + 1, length))
                text[textLength++] = b is >= (byte)'A' and <= (byte)'Z' ? (char)(b + 32) : (char)b;
            cursor += 1 + length;
        }
        position = resumeAt >= 0 ? resumeAt : cursor;
        name = textLength == 0 ? "" : new string(text[..textLength]);
        return true;
    }

    private readonly record struct Record(string Owner, DnsRecordType Type, uint Ttl, IPAddress? Address, string? Target);
}
