using System.Net.Sockets;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Udp;

/// <summary>The stack's UDP: bound sockets by port, ICMP port unreachable for datagrams nobody waits for (rate-limited).</summary>
internal sealed class UdpLayer : IIcmpErrorSink, IDisposable
{
    public UdpLayer(INetstackHost host, UdpSettings settings) => throw new NotImplementedException("IP helper");

    /// <summary>A datagram for one of our addresses (<paramref name="ip"/>.Payload: UDP header and data); verifies the checksum.</summary>
    public void Input(in IpPacketInfo ip) => throw new NotImplementedException("IP helper");

    /// <inheritdoc/>
    public void OnIcmpError(ReadOnlySpan<byte> quotedSource, ReadOnlySpan<byte> quotedDestination, ReadOnlySpan<byte> quotedTransport, SocketError error, bool isHard) =>
        throw new NotImplementedException("IP helper");

    /// <summary>
    /// Binds <paramref name="local"/> (unspecified address: every address of its family; port 0: an ephemeral port).
    /// SocketException(AddressAlreadyInUse) when taken, (TooManyOpenSockets) beyond the limit.
    /// </summary>
    public UdpSocketCore Bind(UdpEndpoint local) => throw new NotImplementedException("IP helper");

    /// <summary>Closes every socket (their waiters see OperationAborted).</summary>
    public void Dispose() => throw new NotImplementedException("IP helper");
}

/// <summary>UDP limits.</summary>
internal sealed record UdpSettings
{
    public int MaxSockets { get; init; } = 4096;

    /// <summary>Bytes of received datagrams queued per socket before new ones are dropped (counted).</summary>
    public int ReceiveQueueBytes { get; init; } = 1 << 20;

    /// <summary>Bytes of datagrams queued per socket for sending before SendTo says NoBufferSpaceAvailable.</summary>
    public int SendQueueBytes { get; init; } = 1 << 20;
}
