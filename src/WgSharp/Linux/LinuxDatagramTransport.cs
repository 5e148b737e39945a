using System.Runtime.Versioning;
using System.Net.Sockets;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// A <see cref="UdpTransport"/> as a device's datagram side. A batch sent to one endpoint leaves in as few
/// UDP GSO sends as the kernel's limits allow (each a run of equal-sized datagrams, the last may be
/// shorter), straight from the batch's slots; a receive is one UDP GRO read (a run of one sender's datagrams)
/// or, without GRO, one recvmmsg of what is queued.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxDatagramTransport(UdpTransport sockets) : IDatagramTransport
{
    /// <summary>The sockets underneath (owned: disposed with this transport).</summary>
    public UdpTransport Sockets => sockets;

    public ushort Port => sockets.Port;
    public uint FwMark => sockets.FwMark;
    public int BatchSize => sockets.MaxSegments;

    public unsafe int Receive(UdpFamily family, PacketBatch datagrams, bool wait)
    {
        // Straight into the slots: a GRO super-buffer split at the slot stride, or one recvmmsg.
        var slots = new Span<byte>(datagrams.SlotAddress(0), datagrams.Capacity * datagrams.SlotSize);
        int count = sockets.ReceiveBatch(family, slots, datagrams.SlotSize, datagrams.Lengths, datagrams.Endpoints, datagrams.LocalAddresses, wait);
        datagrams.Count = Math.Max(count, 0);
        return count;
    }

    public SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to)
    {
        LocalAddress none = default;
        return Send(datagrams, start, count, to, ref none);
    }

    public unsafe SocketError Send(PacketBatch datagrams, int start, int count, in UdpEndpoint to, ref LocalAddress from)
    {
        if (count == 1) return sockets.TrySend(datagrams.Datagram(start), to, ref from);
        var lengths = datagrams.Lengths;
        int maxSegments = sockets.MaxSegments;
        var result = SocketError.Success;
        const int bufferCapacity = 128; // two full runs of the largest GSO send
        var iov = stackalloc LibC.IoVec[bufferCapacity];
        Span<UdpTransport.SegmentRun> runs = stackalloc UdpTransport.SegmentRun[UdpTransport.MaxRunsPerSend];
        int end = start + count;
        for (int first = start; first < end;)
        {
            // Runs for one sendmmsg: as many as fit in the vector and the run limit.
            int runCount = 0, buffers = 0;
            while (first < end && runCount < runs.Length && buffers + maxSegments <= bufferCapacity)
            {
                // One run: equal sizes, a shorter one ends it, within the GSO limits (a lone oversized datagram goes alone).
                int size = lengths[first], total = 0, n = 0;
                while (first + n < end && n < maxSegments)
                {
                    int length = lengths[first + n];
                    if (length > size || (n > 0 && total + length > UdpTransport.MaxSegmentedBytes)) break;
                    iov[buffers + n] = new LibC.IoVec { Base = datagrams.SlotAddress(first + n), Length = (nuint)length };
                    total += length;
                    n++;
                    if (length < size) break;
                }
                runs[runCount++] = new UdpTransport.SegmentRun(buffers, n, total, size);
                buffers += n;
                first += n;
            }
            var error = sockets.TrySendRuns(iov, runs[..runCount], to, ref from);
            if (result == SocketError.Success) result = error;
        }
        return result;
    }

    public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to) => sockets.TrySend(datagram, to);

    public SocketError Send(ReadOnlySpan<byte> datagram, in UdpEndpoint to, ref LocalAddress from) => sockets.TrySend(datagram, to, ref from);

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
