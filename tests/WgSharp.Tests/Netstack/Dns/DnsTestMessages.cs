using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace WgSharp.Tests.Netstack.Dns;

/// <summary>Builds DNS responses by hand, the way a server (or an attacker) would put them on the wire.</summary>
internal sealed class DnsTestMessages
{
    private readonly List<byte> _bytes = [];

    /// <summary>A response header: the given ID, QR|RD|RA and <paramref name="responseCode"/>.</summary>
    public static DnsTestMessages Response(ushort id, int responseCode = 0, int questions = 1, int answers = 0, bool truncated = false)
    {
        var message = new DnsTestMessages();
        message.U16(id).U16((ushort)(0x8180 | (truncated ? 0x0200 : 0) | responseCode)).U16((ushort)questions).U16((ushort)answers).U16(0).U16(0);
        return message;
    }

    /// <summary>The response to <paramref name="query"/> (its ID and question copied), with <paramref name="answers"/> records to follow.</summary>
    public static DnsTestMessages AnswerTo(ReadOnlySpan<byte> query, int responseCode = 0, int answers = 0)
    {
        var message = Response(BinaryPrimitives.ReadUInt16BigEndian(query), responseCode, 1, answers);
        message.Raw(query[12..].ToArray());
        return message;
    }

    public int Length => _bytes.Count;

    public DnsTestMessages U16(ushort value) => Raw((byte)(value >> 8), (byte)value);
    public DnsTestMessages U32(uint value) => U16((ushort)(value >> 16)).U16((ushort)value);
    public DnsTestMessages Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>An uncompressed name.</summary>
    public DnsTestMessages Name(string name)
    {
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            _bytes.Add((byte)label.Length);
            _bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        _bytes.Add(0);
        return this;
    }

    /// <summary>A compression pointer to <paramref name="offset"/>.</summary>
    public DnsTestMessages Pointer(int offset) => Raw((byte)(0xc0 | (offset >> 8)), (byte)offset);

    public DnsTestMessages Question(string name, ushort type) => Name(name).U16(type).U16(1);

    /// <summary>Type, class IN, TTL and the data (its length first) of a record whose owner name was just written.</summary>
    public DnsTestMessages Record(ushort type, uint ttl, byte[] data) => U16(type).U16(1).U32(ttl).U16((ushort)data.Length).Raw(data);

    public DnsTestMessages AddressRecord(IPAddress address, uint ttl) =>
        Record(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? (ushort)1 : (ushort)28, ttl, address.GetAddressBytes());

    /// <summary>A CNAME record's type, class, TTL; its data is the uncompressed <paramref name="target"/>.</summary>
    public DnsTestMessages CnameRecord(string target, uint ttl)
    {
        var data = new DnsTestMessages().Name(target).ToArray();
        return Record(5, ttl, data);
    }

    public byte[] ToArray() => [.. _bytes];
}
