using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// A <see cref="UdpTransport"/> as a device's datagram side. A batch sent to one endpoint leaves in as few
/// UDP GSO sends as the kernel's limits allow (each a run of equal-sized datagrams, the last may be
/// shorter), straight from the batch's slots; a receive is one UDP GRO read (a run of one sender's datagrams)
/// or, without GRO, one recvmmsg of what is queued.
/// </summary>
internal sealed class LinuxDatagramTransport(UdpTransport sockets) : IDatagramTransport
{
    /// <summary>The sockets underneath (owned: disposed with this transport).</summary>
    public UdpTransport Sockets => sockets;

    public ushort Port => sockets.Port;
    public uint FwMark => sockets.FwMark;
    public int BatchSize => UdpTransport.MaxSegments;

    public unsafe int Receive(UdpFamily family, PacketBatch datagrams)
    {
        // Straight into the slots: a GRO super-buffer split at the slot stride, or one recvmmsg.
        var slots = new Span<byte>(datagrams.SlotAddress(0), datagrams.Capacity * datagrams.SlotSize);
        int count = sockets.ReceiveBatch(family, slots, datagrams.SlotSize, datagrams.Lengths, datagrams.Endpoints);
        datagrams.Count = Math.Max(count, 0);
        return count;
    }

    public unsafe SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to)
    {
        if (count == 1) return sockets.TrySend(datagrams.Datagram(start), to);
        var lengths = datagrams.Lengths;
        var result = SocketError.Success;
        var iov = stackalloc LibC.IoVec[UdpTransport.MaxSegments];
        int end = start + count;
        for (int first = start; first < end;)
        {
            // One run: equal sizes, a shorter one ends it, within the GSO limits (a lone oversized datagram goes alone).
            int size = lengths[first], total = 0, n = 0;
            while (first + n < end && n < UdpTransport.MaxSegments)
            {
                int length = lengths[first + n];
                if (length > size || (n > 0 && total + length > UdpTransport.MaxSegmentedBytes)) break;
                iov[n] = new LibC.IoVec { Base = datagrams.SlotAddress(first + n), Length = (nuint)length };
                total += length;
                n++;
                if (length < size) break;
            }
            var error = sockets.TrySendSegments(iov, n, total, size, to);
            if (result == SocketError.Success) result = error;
            first += n;
        }
        return result;
    }

    public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to) => sockets.TrySend(datagram, to);

    public void SetFwMark(uint mark)
    {
        uint old = sockets.FwMark;
        try
        {
            sockets.SetFwMark(mark);
        }
        catch
        {
            // The mark is set socket by socket: put back the first if the second refused.
            try { sockets.SetFwMark(old); }
            catch (SocketException) { }
            throw;
        }
    }

    public void Dispose() => sockets.Dispose();
}
