namespace WgSharp.Device.IO;

/// <summary>
/// The tunnel side of a device: where plain IP packets come from (the host's outbound traffic) and where
/// decrypted ones go. On Linux a TUN interface; in tests an in-memory queue.
/// </summary>
/// <remarks>
/// One thread reads; any number of threads may write. An implementation hides its offloads: it hands out
/// ordinary IP packets (splitting any super-packet itself) and may merge what it is given (coalescing
/// TCP segments), flushing before <see cref="Write"/> returns, so nothing waits between calls, unless the
/// writer lets it hold packets back (see <see cref="Write"/>).
/// </remarks>
internal interface ITunnel : IDisposable
{
    /// <summary>The interface's current name.</summary>
    string Name { get; }

    /// <summary>The interface MTU; setting it may fail (e.g. out of range).</summary>
    int Mtu { get; set; }

    /// <summary>How many packets one <see cref="Read"/> may return; size batches with this.</summary>
    int BatchSize { get; }

    /// <summary>False once the interface is gone (deleted from outside, or disposed).</summary>
    bool Exists { get; }

    /// <summary>
    /// Blocks until at least one packet is available and fills slots 0.. of <paramref name="packets"/>
    /// (packet view, <see cref="PacketBatch.Packet"/>), setting their lengths and <see cref="PacketBatch.Count"/>.
    /// Returns the count, or -1 once the tunnel is closed or gone: the reader should stop. Packets it cannot
    /// make sense of (a bogus offload header) are dropped and reported to <paramref name="counters"/> (the device's counters, seen only as <see cref="ITunnelDrops"/>).
    /// </summary>
    int Read(PacketBatch packets, ITunnelDrops counters);

    /// <summary>
    /// Writes every non-empty slot among the first <see cref="PacketBatch.Count"/> (packet view), in
    /// order. Never throws for a packet the host refuses: failures are counted in <paramref name="counters"/>.
    /// With <paramref name="mayHold"/>, the implementation may keep the last packets back (a merge that the
    /// next write could still extend) and returns true when it did: this thread must then call
    /// <see cref="Write"/> or <see cref="Flush"/> again before it waits for anything.
    /// </summary>
    bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold);

    /// <summary>Writes whatever this thread's last <see cref="Write"/> held back (nothing when it held nothing).</summary>
    void Flush(ITunnelDrops counters);
}
