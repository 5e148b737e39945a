using System.Buffers.Binary;

namespace WgSharp.Protocol;

/// <summary>
/// Byte offsets and sizes of the four messages (whitepaper 5.4). All integers little-endian.
/// Every reader checks the length through <see cref="Classify"/> before touching an offset.
/// </summary>
internal static class MessageLayout
{
    public const int InitiationSize = 148;
    public const int ResponseSize = 92;
    public const int CookieReplySize = 64;
    public const int TransportHeaderSize = 16;
    public const int TagSize = 16;
    public const int MinTransportSize = TransportHeaderSize + TagSize;

    // Initiation: type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16) mac1(16) mac2(16)
    public const int InitSender = 4;
    public const int InitEphemeral = 8;
    public const int InitStatic = 40;
    public const int InitStaticSize = 48;
    public const int InitTimestamp = 88;
    public const int InitTimestampSize = 28;
    public const int InitMac1 = 116;
    public const int InitMac2 = 132;

    // Response: type(4) sender(4) receiver(4) ephemeral(32) empty(0+16) mac1(16) mac2(16)
    public const int RespSender = 4;
    public const int RespReceiver = 8;
    public const int RespEphemeral = 12;
    public const int RespEmpty = 44;
    public const int RespMac1 = 60;
    public const int RespMac2 = 76;

    // Cookie reply: type(4) receiver(4) nonce(24) cookie(16+16)
    public const int CookieReceiver = 4;
    public const int CookieNonce = 8;
    public const int CookieNonceSize = 24;
    public const int CookieEncrypted = 32;
    public const int CookieEncryptedSize = 32;

    // Transport: type(4) receiver(4) counter(8) packet(n+16)
    public const int DataReceiver = 4;
    public const int DataCounter = 8;
    public const int DataPayload = 16;

    public const int MacSize = 16;

    /// <summary>
    /// Identifies a datagram's type and checks its length and reserved bytes; nothing else is
    /// read before this passes.
    /// </summary>
    public static MessageType Classify(ReadOnlySpan<byte> message, out RejectReason reason)
    {
        reason = RejectReason.None;
        if (message.Length < 4) { reason = RejectReason.TooShort; return MessageType.None; }
        if (message[1] != 0 || message[2] != 0 || message[3] != 0) { reason = RejectReason.NonZeroReserved; return MessageType.None; }
        var type = (MessageType)message[0];
        int required = type switch
        {
            MessageType.HandshakeInitiation => InitiationSize,
            MessageType.HandshakeResponse => ResponseSize,
            MessageType.CookieReply => CookieReplySize,
            MessageType.TransportData => -1,
            _ => -2,
        };
        if (required == -2) { reason = RejectReason.UnknownType; return MessageType.None; }
        if (required == -1)
        {
            if (message.Length < MinTransportSize) { reason = RejectReason.TooShort; return MessageType.None; }
            return type;
        }
        if (message.Length != required) { reason = RejectReason.WrongLength; return MessageType.None; }
        return type;
    }

    public static void WriteHeader(Span<byte> message, MessageType type) =>
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)type);

    public static uint ReadUInt32(ReadOnlySpan<byte> message, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(message[offset..]);

    public static void WriteUInt32(Span<byte> message, int offset, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(message[offset..], value);

    /// <summary>The receiver index of a response, cookie reply or transport message (all at offset 4 or 8).</summary>
    public static uint ReceiverIndex(ReadOnlySpan<byte> message, MessageType type) => type switch
    {
        MessageType.HandshakeResponse => ReadUInt32(message, RespReceiver),
        MessageType.CookieReply => ReadUInt32(message, CookieReceiver),
        MessageType.TransportData => ReadUInt32(message, DataReceiver),
        _ => 0,
    };

    /// <summary>Length of a transport payload after padding the inner packet to 16 bytes (never beyond mtu).</summary>
    public static int PaddedLength(int packetLength, int mtu)
    {
        int padded = (packetLength + ProtocolConstants.MessagePaddingMultiple - 1) & ~(ProtocolConstants.MessagePaddingMultiple - 1);
        if (packetLength <= mtu && padded > mtu) padded = Math.Max(packetLength, mtu);
        return padded;
    }

    public static int TransportMessageSize(int paddedPayloadLength) => TransportHeaderSize + paddedPayloadLength + TagSize;
}
