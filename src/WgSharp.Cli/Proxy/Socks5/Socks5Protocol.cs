using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WgSharp.Cli.Proxy.Socks5;

/// <summary>What a parser made of the bytes so far.</summary>
internal enum Socks5Parse
{
    /// <summary>More bytes are needed.</summary>
    Incomplete,
    /// <summary>A whole message was read.</summary>
    Complete,
    /// <summary>Not SOCKS5 (or not RFC 1929 for the authentication): the connection is closed.</summary>
    BadVersion,
    /// <summary>An address type other than IPv4, domain name and IPv6 (reply 0x08).</summary>
    BadAddressType,
    /// <summary>A malformed message (an empty domain name, a UDP datagram too short).</summary>
    Malformed,
}

/// <summary>An address in a SOCKS5 message: where its bytes are (as offsets, so the struct holds no reference) and its port.</summary>
internal readonly record struct Socks5Address(byte Type, int Offset, int Length, ushort Port)
{
    /// <summary>The destination: an IP endpoint, or a name for the tunnel to resolve. Null for port 0 or a name that is not printable ASCII.</summary>
    public EndPoint? ToEndPoint(ReadOnlySpan<byte> message)
    {
        var bytes = message.Slice(Offset, Length);
        if (Type == Socks5Protocol.AddressDomain)
        {
            foreach (byte b in bytes)
                if (b is <= 0x20 or >= 0x7f) return null; // never a valid name; keeps odd bytes out of logs
            return Port == 0 ? null : new DnsEndPoint(Encoding.ASCII.GetString(bytes), Port);
        }
        return new IPEndPoint(new IPAddress(bytes), Port);
    }
}

/// <summary>
/// SOCKS5 (RFC 1928) and its username/password authentication (RFC 1929) as pure functions over bytes: the parsers
/// never throw, whatever the input, and say how many bytes a complete message took.
/// </summary>
internal static class Socks5Protocol
{
    public const byte Version = 5;
    public const byte MethodNoAuth = 0x00, MethodUserPass = 0x02, MethodNoneAcceptable = 0xff;
    public const byte CommandConnect = 1, CommandBind = 2, CommandUdpAssociate = 3;
    public const byte AddressIPv4 = 1, AddressDomain = 3, AddressIPv6 = 4;
    public const byte ReplySucceeded = 0x00, ReplyGeneralFailure = 0x01, ReplyNotAllowed = 0x02, ReplyNetworkUnreachable = 0x03,
        ReplyHostUnreachable = 0x04, ReplyConnectionRefused = 0x05, ReplyTtlExpired = 0x06, ReplyCommandNotSupported = 0x07,
        ReplyAddressTypeNotSupported = 0x08;
    public const byte AuthVersion = 1, AuthSucceeded = 0, AuthFailed = 1;

    /// <summary>The longest greeting (2 + 255 methods), authentication (3 + 255 + 255) or request (7 + 255).</summary>
    public const int MaxHandshakeMessage = 513;

    /// <summary>Largest reply or UDP header: 4 + 16 + 2.</summary>
    public const int MaxReplyLength = 22;

    /// <summary>The method selection message: VER, NMETHODS, METHODS. Reports whether no-auth and username/password are offered.</summary>
    public static Socks5Parse ParseGreeting(ReadOnlySpan<byte> data, out int consumed, out bool offersNoAuth, out bool offersUserPass)
    {
        consumed = 0;
        offersNoAuth = offersUserPass = false;
        if (data.IsEmpty) return Socks5Parse.Incomplete;
        if (data[0] != Version) return Socks5Parse.BadVersion;
        if (data.Length < 2) return Socks5Parse.Incomplete;
        int count = data[1];
        if (data.Length < 2 + count) return Socks5Parse.Incomplete;
        var methods = data.Slice(2, count);
        offersNoAuth = methods.Contains(MethodNoAuth);
        offersUserPass = methods.Contains(MethodUserPass);
        consumed = 2 + count;
        return Socks5Parse.Complete;
    }

    /// <summary>RFC 1929's request: VER(1), ULEN, UNAME, PLEN, PASSWD. The name and password are given as offsets into <paramref name="data"/>.</summary>
    public static Socks5Parse ParseUserPass(ReadOnlySpan<byte> data, out int consumed, out Range userName, out Range password)
    {
        consumed = 0;
        userName = password = default;
        if (data.IsEmpty) return Socks5Parse.Incomplete;
        if (data[0] != AuthVersion) return Socks5Parse.BadVersion;
        if (data.Length < 2) return Socks5Parse.Incomplete;
        int userLength = data[1];
        if (data.Length < 3 + userLength) return Socks5Parse.Incomplete;
        int passwordLength = data[2 + userLength];
        int total = 3 + userLength + passwordLength;
        if (data.Length < total) return Socks5Parse.Incomplete;
        userName = new Range(2, 2 + userLength);
        password = new Range(3 + userLength, total);
        consumed = total;
        return Socks5Parse.Complete;
    }

    /// <summary>A request: VER, CMD, RSV, ATYP, DST.ADDR, DST.PORT. An unknown command is Complete (the caller replies 0x07).</summary>
    public static Socks5Parse ParseRequest(ReadOnlySpan<byte> data, out int consumed, out byte command, out Socks5Address address)
    {
        consumed = 0;
        command = 0;
        address = default;
        if (data.IsEmpty) return Socks5Parse.Incomplete;
        if (data[0] != Version) return Socks5Parse.BadVersion;
        if (data.Length < 4) return Socks5Parse.Incomplete;
        command = data[1];
        var result = ParseAddress(data, 3, out address, out consumed);
        return result;
    }

    /// <summary>
    /// The header of a UDP datagram to or from the client: RSV(2), FRAG, ATYP, DST.ADDR, DST.PORT, then the payload from
    /// <paramref name="headerLength"/>. A datagram cut short is Malformed (UDP never brings the rest).
    /// </summary>
    public static Socks5Parse ParseUdpHeader(ReadOnlySpan<byte> datagram, out byte fragment, out Socks5Address address, out int headerLength)
    {
        fragment = 0;
        address = default;
        headerLength = 0;
        if (datagram.Length < 4) return Socks5Parse.Malformed;
        fragment = datagram[2];
        var result = ParseAddress(datagram, 3, out address, out headerLength);
        return result == Socks5Parse.Incomplete ? Socks5Parse.Malformed : result;
    }

    /// <summary>ATYP at <paramref name="typeOffset"/>, the address and the port after it.</summary>
    private static Socks5Parse ParseAddress(ReadOnlySpan<byte> data, int typeOffset, out Socks5Address address, out int end)
    {
        address = default;
        end = 0;
        byte type = data[typeOffset];
        int offset = typeOffset + 1, length;
        switch (type)
        {
            case AddressIPv4: length = 4; break;
            case AddressIPv6: length = 16; break;
            case AddressDomain:
                if (data.Length <= offset) return Socks5Parse.Incomplete;
                length = data[offset];
                offset++;
                if (length == 0) return Socks5Parse.Malformed;
                break;
            default: return Socks5Parse.BadAddressType;
        }
        if (data.Length < offset + length + 2) return Socks5Parse.Incomplete;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + length));
        address = new Socks5Address(type, offset, length, port);
        end = offset + length + 2;
        return Socks5Parse.Complete;
    }

    /// <summary>Writes a reply (or, with <paramref name="udpHeader"/>, a UDP datagram's header) carrying <paramref name="bound"/>; its length.</summary>
    public static int WriteReply(Span<byte> destination, byte reply, IPEndPoint? bound)
    {
        destination[0] = Version;
        destination[1] = reply;
        destination[2] = 0;
        return 3 + WriteAddress(destination[3..], bound);
    }

    /// <summary>The header of a datagram relayed to the client: RSV, FRAG 0, the sender's address; its length.</summary>
    public static int WriteUdpHeader(Span<byte> destination, IPEndPoint source)
    {
        destination[0] = destination[1] = destination[2] = 0;
        return 3 + WriteAddress(destination[3..], source);
    }

    /// <summary>ATYP, address, port (0.0.0.0:0 when none); IPv4-mapped IPv6 addresses are written as IPv4.</summary>
    private static int WriteAddress(Span<byte> destination, IPEndPoint? endPoint)
    {
        var address = endPoint?.Address ?? IPAddress.Any;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        int length;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            destination[0] = AddressIPv4;
            address.TryWriteBytes(destination[1..], out length);
        }
        else
        {
            destination[0] = AddressIPv6;
            address.TryWriteBytes(destination[1..], out length);
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination[(1 + length)..], (ushort)(endPoint?.Port ?? 0));
        return 1 + length + 2;
    }
}
