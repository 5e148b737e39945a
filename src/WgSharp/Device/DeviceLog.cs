using Microsoft.Extensions.Logging;
using WgSharp.Device.IO;

namespace WgSharp.Device;

/// <summary>
/// The device's debug messages (the manual's runtime debugging, wireguard-go's wording), each a
/// source-generated <see cref="LoggerMessageAttribute"/> method: the text operators read stays
/// "wg0: Sending handshake initiation to peer(AbCd…wXyz)", while a structured consumer gets the fields
/// <c>Interface</c> and, for a peer, <c>Peer</c> (the abbreviated key, never the whole one) as named values.
/// Callers check the interface's debug switch first, so a message costs the packet path nothing while it is off.
/// </summary>
internal static partial class DeviceLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Sending handshake initiation to {Peer}")]
    public static partial void SendingInitiation(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Handshake for {Peer} not sent: no known endpoint")]
    public static partial void InitiationWithoutEndpoint(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Receiving handshake initiation from {Peer}")]
    public static partial void ReceivingInitiation(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Sending handshake response to {Peer}")]
    public static partial void SendingResponse(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Receiving handshake response from {Peer}")]
    public static partial void ReceivingResponse(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Handshake for {Peer} did not complete after {Attempts} attempts, giving up")]
    public static partial void HandshakeGivenUp(this ILogger logger, string @interface, string peer, int attempts);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Handshake for {Peer} did not complete after {Seconds} seconds, retrying (try {Try})")]
    public static partial void HandshakeRetry(this ILogger logger, string @interface, string peer, int seconds, int @try);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Retrying handshake with {Peer} because we stopped hearing back after {Seconds} seconds")]
    public static partial void HandshakeAfterSilence(this ILogger logger, string @interface, string peer, int seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Removing all keys for {Peer}, since we haven't received a new one in {Seconds} seconds")]
    public static partial void KeysExpired(this ILogger logger, string @interface, string peer, int seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Sending keepalive packet to {Peer}")]
    public static partial void SendingKeepalive(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Receiving keepalive packet from {Peer}")]
    public static partial void ReceivingKeepalive(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Packet with invalid IP header from {Peer}")]
    public static partial void InvalidInnerPacket(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Packet has unallowed src IP from {Peer}")]
    public static partial void UnallowedSource(this ILogger logger, string @interface, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Timer error for {Peer}: {Reason}")]
    public static partial void TimerError(this ILogger logger, string @interface, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Dropped an outbound packet that could not be processed: {Error}")]
    public static partial void OutboundDropped(this ILogger logger, string @interface, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Dropped a datagram from {From} that could not be processed: {Error}")]
    public static partial void DatagramDropped(this ILogger logger, string @interface, UdpEndpoint from, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Interface}: Receiving datagrams failed, retrying: {Error}")]
    public static partial void ReceiveFailed(this ILogger logger, string @interface, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Writing {Count} packets to the tunnel failed: {Error}")]
    public static partial void TunnelWriteFailed(this ILogger logger, string @interface, int count, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Dropped a handshake message from {From} that could not be processed: {Error}")]
    public static partial void HandshakeDropped(this ILogger logger, string @interface, UdpEndpoint from, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Dropped a handshake message from {From}: too many from that address")]
    public static partial void HandshakeRateLimited(this ILogger logger, string @interface, UdpEndpoint from);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Sending cookie response for denied handshake message for {From}")]
    public static partial void SendingCookie(this ILogger logger, string @interface, UdpEndpoint from);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: Receiving cookie response from {From}")]
    public static partial void ReceivingCookie(this ILogger logger, string @interface, UdpEndpoint from);

    /// <summary>A refused handshake message; <paramref name="rejection"/> is the manual's wording ("Invalid initiation MAC").</summary>
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Interface}: {Rejection} from {From}")]
    public static partial void HandshakeRejected(this ILogger logger, string @interface, string rejection, UdpEndpoint from);
}
