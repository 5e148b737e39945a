using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Icmp;

/// <summary>
/// ICMP and ICMPv6: answers echo requests to our addresses (rate-limited), matches echo replies to pings, and hands
/// destination-unreachable / packet-too-big / time-exceeded errors to TCP and UDP as socket errors.
/// </summary>
internal sealed class IcmpLayer : IDisposable
{
    public IcmpLayer(INetstackHost host, IIcmpErrorSink tcp, IIcmpErrorSink udp) => throw new NotImplementedException("IP helper");

    /// <summary>An ICMP (IPv4) or ICMPv6 message for one of our addresses; verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip) => throw new NotImplementedException("IP helper");

    /// <summary>
    /// Sends an echo request with <paramref name="payloadSize"/> bytes from <paramref name="source"/> to <paramref name="destination"/>
    /// (ports ignored) and returns the round-trip time; TimedOut SocketException after <paramref name="timeout"/>,
    /// HostUnreachable/NetworkUnreachable from an ICMP error; OperationCanceledException on the token.
    /// </summary>
    public Task<TimeSpan> PingAsync(UdpEndpoint source, UdpEndpoint destination, int payloadSize, TimeSpan timeout, CancellationToken cancellationToken) =>
        throw new NotImplementedException("IP helper");

    /// <summary>Sends an ICMP(v6) destination unreachable / port unreachable quoting <paramref name="offending"/> (rate-limited; never in answer to an ICMP error, a multicast or broadcast).</summary>
    public void SendPortUnreachable(ReadOnlySpan<byte> offending) => throw new NotImplementedException("IP helper");

    public void Dispose() => throw new NotImplementedException("IP helper");
}
