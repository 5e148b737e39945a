using System.Buffers;
using WgSharp.Device.IO;

namespace WgSharp.Netstack.Udp;

/// <summary>
/// A bounded FIFO of copied datagrams with their addresses: each datagram's bytes in an array rented from the shared
/// pool (returned when taken), the entries in a ring that grows by doubling (so nothing is allocated in steady
/// state). The bound counts the rented arrays' lengths plus a fixed overhead per entry, so empty datagrams are bounded
/// too. Not thread-safe: the owner locks.
/// </summary>
internal sealed class DatagramQueue(int maxBytes)
{
    /// <summary>What one entry costs besides its data, so a flood of empty datagrams is bounded as well.</summary>
    public const int EntryOverhead = 64;

    private Entry[] _entries = [];
    private int _head;
    private int _count;
    private int _bytes;

    public int Count => _count;

    /// <summary>Copies one datagram in; false when it would exceed the bound.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> data, in UdpEndpoint remote, in UdpEndpoint local)
    {
        int cost = EntryOverhead + BucketSize(data.Length);
        if (cost > maxBytes - _bytes) return false;
        if (_count == _entries.Length) Grow();
        var buffer = data.Length == 0 ? [] : ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        _entries[(_head + _count) % _entries.Length] = new Entry(buffer, data.Length, remote, local, cost);
        _count++;
        _bytes += cost;
        return true;
    }

    /// <summary>The oldest entry, without taking it; false when empty.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> data, out UdpEndpoint remote, out UdpEndpoint local)
    {
        if (_count == 0)
        {
            data = default;
            remote = local = default;
            return false;
        }
        ref var entry = ref _entries[_head];
        data = entry.Buffer.AsSpan(0, entry.Length);
        remote = entry.Remote;
        local = entry.Local;
        return true;
    }

    /// <summary>Drops the oldest entry (after <see cref="TryPeek"/>), returning its buffer to the pool.</summary>
    public void Dequeue()
    {
        if (_count == 0) return;
        ref var entry = ref _entries[_head];
        if (entry.Buffer.Length != 0) ArrayPool<byte>.Shared.Return(entry.Buffer);
        _bytes -= entry.Cost;
        entry = default;
        _head = (_head + 1) % _entries.Length;
        _count--;
    }

    public void Clear()
    {
        while (_count > 0) Dequeue();
    }

    // The pool hands out power-of-two arrays: count what is really held.
    private static int BucketSize(int length) => length <= 16 ? length : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length);

    private void Grow()
    {
        var larger = new Entry[Math.Max(8, _entries.Length * 2)];
        for (int i = 0; i < _count; i++) larger[i] = _entries[(_head + i) % _entries.Length];
        _entries = larger;
        _head = 0;
    }

    private readonly record struct Entry(byte[] Buffer, int Length, UdpEndpoint Remote, UdpEndpoint Local, int Cost);
}
