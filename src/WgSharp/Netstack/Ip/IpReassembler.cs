using WgSharp.Packets;

namespace WgSharp.Netstack.Ip;

/// <summary>
/// Reassembles IPv4 and IPv6 fragments within fixed bounds (datagrams in progress, bytes held, a timeout); overlapping
/// fragments drop the whole datagram (RFC 5722). Thread-safe.
/// </summary>
internal sealed class IpReassembler
{
    public IpReassembler(NetstackCounters counters, int maxDatagrams = 64, int maxBytes = 1 << 20, int timeoutMs = 30_000) =>
        throw new NotImplementedException("IP helper");

    /// <summary>
    /// Adds one fragment (<paramref name="fragment"/> describes it, as <see cref="IpPacketReader"/> read it). When this
    /// completes a datagram, writes the whole reassembled IP packet (header fixed up: no fragment fields, right lengths)
    /// into <paramref name="output"/> (at least 65,535 bytes) and returns its length; 0 while incomplete or dropped.
    /// </summary>
    public int Add(in IpPacketInfo fragment, long nowMs, Span<byte> output) => throw new NotImplementedException("IP helper");
}
