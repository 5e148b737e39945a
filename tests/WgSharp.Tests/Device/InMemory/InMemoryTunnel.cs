using System.Collections.Concurrent;
using WgSharp.Device;
using WgSharp.Device.IO;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>
/// A tunnel without a kernel (wireguard-go's tuntest is the idea): the test injects outbound packets, in
/// batches that one read hands over together, and sees every packet the device writes, in order.
/// </summary>
internal sealed class InMemoryTunnel(string name = "mem0", int mtu = 1420, int batchSize = 64) : ITunnel
{
    /// <summary>Receives every packet the device writes (on the device's receive thread); by default they queue in <see cref="Written"/>.</summary>
    public delegate void PacketHandler(ReadOnlySpan<byte> packet);

    private readonly BlockingCollection<byte[][]> _outbound = new();
    private byte[][]? _pending;
    private int _pendingIndex;
    private volatile bool _gone;
    private PacketHandler? _onWrite;
    private Exception? _failNextRead;

    public string Name { get; } = name;
    public int Mtu { get; set; } = mtu;
    public int BatchSize { get; } = batchSize;
    public bool Exists => !_gone;

    /// <summary>Packets written by the device, unless <see cref="OnWrite"/> takes them.</summary>
    public BlockingCollection<byte[]> Written { get; } = new();

    public PacketHandler OnWrite { set => _onWrite = value; }

    /// <summary>Queues packets the host "sends"; one read returns them together (up to the batch size).</summary>
    public void Inject(params byte[][] packets) => _outbound.Add(packets);

    /// <summary>The next read takes its batch and throws <paramref name="failure"/> instead of handing it over (a packet the tunnel's own processing chokes on).</summary>
    public void FailNextRead(Exception failure) => _failNextRead = failure;

    /// <summary>Makes the interface disappear, as `ip link del` would.</summary>
    public void Remove()
    {
        _gone = true;
        _outbound.CompleteAdding();
    }

    public int Read(PacketBatch packets, ITunnelDrops counters)
    {
        if (_pending is null || _pendingIndex >= _pending.Length)
        {
            try
            {
                if (!_outbound.TryTake(out _pending, Timeout.Infinite)) return -1;
            }
            catch (ObjectDisposedException) { return -1; }
            _pendingIndex = 0;
            if (Interlocked.Exchange(ref _failNextRead, null) is { } failure)
            {
                _pending = null;
                throw failure;
            }
        }
        int count = 0;
        for (; count < packets.Capacity && _pendingIndex < _pending.Length; count++, _pendingIndex++)
        {
            var packet = _pending[_pendingIndex];
            packet.CopyTo(packets.PacketSpace(count));
            packets.Lengths[count] = packet.Length;
        }
        packets.Count = count;
        return count;
    }

    /// <summary>
    /// Behave like a merging tunnel that holds a run back whenever the writer allows it: the last packet of
    /// every write stays with the writing thread until its next write or flush (tests the device's side of that contract).
    /// </summary>
    public bool HoldsBackWhenAllowed { get; set; }

    [ThreadStatic] private static byte[]? t_held;

    public bool Write(PacketBatch packets, ITunnelDrops counters, bool mayHold)
    {
        ReleaseHeld();
        int last = -1;
        for (int i = 0; i < packets.Count; i++)
            if (packets.Lengths[i] > 0) last = i;
        for (int i = 0; i <= last; i++)
        {
            if (packets.Lengths[i] == 0) continue;
            if (i == last && mayHold && HoldsBackWhenAllowed) t_held = packets.Packet(i).ToArray();
            else Deliver(packets.Packet(i));
        }
        return t_held is not null;
    }

    public void Flush(ITunnelDrops counters) => ReleaseHeld();

    private void ReleaseHeld()
    {
        if (t_held is not { } held) return;
        t_held = null;
        Deliver(held);
    }

    private void Deliver(ReadOnlySpan<byte> packet)
    {
        if (_onWrite is { } handler) handler(packet);
        else Written.Add(packet.ToArray());
    }

    /// <summary>Waits for the next written packet (a hang guard, not a timing check).</summary>
    public byte[] NextWritten(TimeSpan timeout) =>
        Written.TryTake(out var packet, timeout) ? packet : throw new TimeoutException("no packet reached the tunnel");

    public void Dispose()
    {
        _gone = true;
        _outbound.CompleteAdding();
    }
}
