using System.Runtime.Versioning;
using WgSharp.Device;
using WgSharp.Device.IO;

namespace WgSharp.Linux;

/// <summary>
/// A TUN interface as a device's tunnel. With offloads the kernel hands over whole TCP send bursts (up to
/// 64 KiB) and leaves checksums to us: far fewer reads, and the segments, cut here into one batch, go out
/// to one peer in one UDP GSO send. Towards the TUN, consecutive TCP segments are merged again
/// (<see cref="TcpCoalescer"/>), so the host stack handles one packet instead of dozens.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxTunnel : ITunnel
{
    /// <summary>Segments per read: a 64 KiB super-packet at a typical MSS fits in one batch.</summary>
    public const int DefaultBatchSize = 64;

    private readonly TunDevice _tun;
    private readonly bool _offloads;
    private readonly ThreadLocal<TcpCoalescer>? _coalescers;

    // The super-packet being cut into segments; what does not fit one batch is handed out by the next read.
    private readonly byte[] _superPacket = new byte[PacketBatch.MaxPacketSize + 1];
    private VirtioNetHeader _header;
    private int _length, _headerLength, _segments, _nextSegment;

    /// <param name="tun">Owned: disposing the tunnel closes it (and so deletes the interface).</param>
    /// <param name="offloads">
    /// Ask the kernel for TSO and checksum offload (kept off where the kernel refuses) and merge TCP segments
    /// towards the TUN. False: no TUNSETOFFLOAD and every packet written on its own (kernels with broken offloads).
    /// </param>
    public LinuxTunnel(TunDevice tun, bool offloads = true)
    {
        _tun = tun;
        _offloads = offloads && tun.EnableOffloads();
        // One coalescer per writing thread (one per UDP receiver or crypto worker); flushed before Write returns
        // unless the caller lets it hold a growing run until its next Write or Flush.
        _coalescers = offloads ? new ThreadLocal<TcpCoalescer>(() => TcpCoalescer.ForTun(tun)) : null;
    }

    /// <summary>The TUN interface underneath (for settings the seam does not carry).</summary>
    public TunDevice Device => _tun;

    public string Name => _tun.Name;

    public int Mtu
    {
        get => _tun.Mtu;
        set => _tun.Mtu = value;
    }

    public int BatchSize => DefaultBatchSize;

    public bool Exists => _tun.Exists();

    public int Read(PacketBatch packets, ITunnelDrops counters)
    {
        packets.Count = 0;
        while (_nextSegment >= _segments)
        {
            int n = _tun.Read(_superPacket, out var header);
            if (n < 0) return -1;
            var packet = _superPacket.AsSpan(0, n);
            if (_offloads && header.IsGso)
            {
                if (!TcpSegmenter.TryPlan(packet, header, out _headerLength, out _segments) ||
                    _headerLength + header.GsoSize > packets.PacketSize)
                {
                    _segments = 0;
                    counters.CountMalformed();
                    continue;
                }
                _header = header;
                _length = n;
                _nextSegment = 0;
                break;
            }
            if ((_offloads && !TcpSegmenter.CompleteChecksum(packet, header)) || n > packets.PacketSize)
            {
                counters.CountMalformed();
                continue;
            }
            packet.CopyTo(packets.PacketSpace(0));
            packets.Lengths[0] = n;
            packets.Count = 1;
            return 1;
        }
        var superPacket = _superPacket.AsSpan(0, _length);
        int count = 0;
        // The segment index moves on before the segment is cut, so a segment that throws is never tried again.
        for (; count < packets.Capacity && _nextSegment < _segments; count++)
            packets.Lengths[count] = TcpSegmenter.WriteSegment(superPacket, _header, _headerLength, _segments, _nextSegment++, packets.PacketSpace(count));
        packets.Count = count;
        return count;
    }

    public bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold)
    {
        if (_coalescers == null)
        {
            for (int i = 0; i < packets.Count; i++)
                if (packets.Lengths[i] > 0 && !_tun.TryWrite(packets.Packet(i), out _)) counters.CountSendError();
            return false;
        }
        var coalescer = _coalescers.Value!;
        bool hold = false;
        try
        {
            for (int i = 0; i < packets.Count; i++)
                if (packets.Lengths[i] > 0) coalescer.Add(packets.Packet(i), counters);
            // A run that can still grow waits for this thread's next write (the rest of the sender's burst).
            hold = mayHold && coalescer.CanGrow;
        }
        finally
        {
            if (!hold) coalescer.Flush(counters);
        }
        return hold;
    }

    public void Flush(ITunnelDrops counters)
    {
        if (_coalescers is { IsValueCreated: true } coalescers) coalescers.Value!.Flush(counters);
    }

    public void Dispose() => _tun.Dispose();

    public override string ToString() => _tun.ToString();
}
