using System.Buffers;
using System.Buffers.Binary;
using WgSharp.Device.IO;
using WgSharp.Packets;

namespace WgSharp.Netstack.Ip;

/// <summary>
/// Reassembles IPv4 and IPv6 fragments within fixed bounds (datagrams in progress, bytes held, a timeout); overlapping
/// fragments drop the whole datagram (RFC 5722). Thread-safe.
/// </summary>
internal sealed class IpReassembler
{
    /// <summary>Fragments one datagram may have: a peer sending 8-byte fragments cannot make us keep thousands.</summary>
    public const int MaxFragmentsPerDatagram = 64;

    private const int MaxPacketLength = 65535;
    private const int InitialBufferLength = 2048;

    private readonly NetstackCounters _counters;
    private readonly int _maxBytes;
    private readonly int _timeoutMs;
    private readonly Datagram?[] _datagrams;
    private readonly Lock _lock = new();
    private int _bytesHeld;

    public IpReassembler(NetstackCounters counters, int maxDatagrams = 64, int maxBytes = 1 << 20, int timeoutMs = 30_000)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDatagrams);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        _counters = counters;
        _maxBytes = maxBytes;
        _timeoutMs = timeoutMs;
        _datagrams = new Datagram?[maxDatagrams];
    }

    /// <summary>Datagrams in progress (for tests and status).</summary>
    public int InProgress
    {
        get
        {
            lock (_lock)
            {
                int count = 0;
                foreach (var datagram in _datagrams) if (datagram is { InUse: true }) count++;
                return count;
            }
        }
    }

    /// <summary>Bytes of buffers held for datagrams in progress.</summary>
    public int BytesHeld
    {
        get { lock (_lock) return _bytesHeld; }
    }

    /// <summary>
    /// Adds one fragment (<paramref name="fragment"/> describes it, as <see cref="IpPacketReader"/> read it). When this
    /// completes a datagram, writes the whole reassembled IP packet (header fixed up: no fragment fields, right lengths)
    /// into <paramref name="output"/> (at least 65,535 bytes) and returns its length; 0 while incomplete or dropped.
    /// </summary>
    public int Add(in IpPacketInfo fragment, long nowMs, Span<byte> output)
    {
        lock (_lock)
        {
            ExpireOld(nowMs);
            var data = fragment.Payload;
            int start = fragment.FragmentOffset;
            int end = start + data.Length;
            // Every fragment but the last carries a multiple of 8 bytes (RFC 791, RFC 8200 4.5); the whole packet
            // (header and data) may not exceed 65,535 bytes (the output buffer, and IPv4's total length).
            if ((fragment.MoreFragments && (data.Length == 0 || (data.Length & 7) != 0))
                || fragment.HeaderLength + end > MaxPacketLength)
            {
                Drop(FindDatagram(fragment));
                _counters.Increment(NetstackCounter.FragmentsDropped);
                return 0;
            }

            var datagram = FindDatagram(fragment) ?? StartDatagram(fragment, nowMs);
            if (datagram is null)
            {
                _counters.Increment(NetstackCounter.FragmentsDropped);
                return 0;
            }
            switch (datagram.AddRange(start, end, fragment.MoreFragments))
            {
                case RangeResult.Duplicate:
                    _counters.Increment(NetstackCounter.FragmentsDropped);
                    return 0;
                case RangeResult.Invalid: // overlap (RFC 5722), a second different end, too many fragments
                    Drop(datagram);
                    _counters.Increment(NetstackCounter.FragmentsDropped);
                    return 0;
            }
            if (!EnsureCapacity(datagram, end))
            {
                Drop(datagram);
                _counters.Increment(NetstackCounter.FragmentsDropped);
                return 0;
            }
            data.CopyTo(datagram.Buffer.AsSpan(start));
            if (start == 0 && !datagram.SaveHeader(fragment.Packet[..fragment.HeaderLength]))
            {
                Drop(datagram);
                _counters.Increment(NetstackCounter.FragmentsDropped);
                return 0;
            }
            if (!datagram.IsComplete) return 0;

            int length = datagram.WriteWhole(output);
            Drop(datagram);
            if (length == 0) _counters.Increment(NetstackCounter.FragmentsDropped);
            return length;
        }
    }

    private Datagram? FindDatagram(in IpPacketInfo fragment)
    {
        foreach (var datagram in _datagrams)
            if (datagram is { InUse: true } && datagram.Matches(fragment)) return datagram;
        return null;
    }

    /// <summary>A slot for a new datagram: a free one, else the oldest is evicted (so a flood of never-finished datagrams cannot block new ones for the whole timeout).</summary>
    private Datagram StartDatagram(in IpPacketInfo fragment, long nowMs)
    {
        int free = -1, oldest = -1;
        for (int i = 0; i < _datagrams.Length; i++)
        {
            var slot = _datagrams[i];
            if (slot is null || !slot.InUse) { free = i; break; }
            if (oldest < 0 || slot.StartedMs < _datagrams[oldest]!.StartedMs) oldest = i;
        }
        if (free < 0)
        {
            Drop(_datagrams[oldest]);
            _counters.Increment(NetstackCounter.FragmentsDropped);
            free = oldest;
        }
        var datagram = _datagrams[free] ??= new Datagram();
        datagram.Start(fragment, nowMs);
        return datagram;
    }

    private bool EnsureCapacity(Datagram datagram, int end)
    {
        int current = datagram.Buffer.Length;
        if (end <= current) return true;
        int wanted = Math.Min(MaxPacketLength, Math.Max(end, Math.Max(InitialBufferLength, current * 2)));
        // The pool rounds up to a power of two: account for what it really hands out.
        int cost = (int)Math.Min(1u << 17, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)wanted));
        while (_bytesHeld - current + cost > _maxBytes)
        {
            if (!EvictOldestExcept(datagram)) return false;
        }
        var larger = ArrayPool<byte>.Shared.Rent(wanted);
        if (current != 0)
        {
            datagram.Buffer.AsSpan().CopyTo(larger);
            ArrayPool<byte>.Shared.Return(datagram.Buffer);
        }
        _bytesHeld += larger.Length - current;
        datagram.Buffer = larger;
        return true;
    }

    private bool EvictOldestExcept(Datagram keep)
    {
        Datagram? oldest = null;
        foreach (var datagram in _datagrams)
            if (datagram is { InUse: true } && datagram != keep && (oldest is null || datagram.StartedMs < oldest.StartedMs)) oldest = datagram;
        if (oldest is null) return false;
        Drop(oldest);
        _counters.Increment(NetstackCounter.FragmentsDropped);
        return true;
    }

    private void ExpireOld(long nowMs)
    {
        foreach (var datagram in _datagrams)
        {
            if (datagram is { InUse: true } && nowMs - datagram.StartedMs >= _timeoutMs)
            {
                Drop(datagram);
                _counters.Increment(NetstackCounter.FragmentsDropped);
            }
        }
    }

    private void Drop(Datagram? datagram)
    {
        if (datagram is null || !datagram.InUse) return;
        _bytesHeld -= datagram.Buffer.Length;
        datagram.Release();
    }

    private enum RangeResult { Added, Duplicate, Invalid }

    /// <summary>One datagram in progress: its key, the byte ranges received, the data and the first fragment's header.</summary>
    private sealed class Datagram
    {
        private readonly int[] _starts = new int[MaxFragmentsPerDatagram];
        private readonly int[] _ends = new int[MaxFragmentsPerDatagram];
        private UdpEndpoint _source, _destination;
        private bool _isIPv6;
        private byte _protocol;
        private uint _id;
        private int _ranges;
        private int _received;
        private int _total; // -1 until the last fragment is seen
        private byte[] _header = [];
        private int _headerLength;

        public bool InUse { get; private set; }
        public long StartedMs { get; private set; }
        public byte[] Buffer { get; set; } = [];

        public bool IsComplete => _total >= 0 && _received == _total && _headerLength > 0;

        public void Start(in IpPacketInfo fragment, long nowMs)
        {
            _source = UdpEndpoint.Create(fragment.Source, 0);
            _destination = UdpEndpoint.Create(fragment.Destination, 0);
            _isIPv6 = fragment.IsIPv6;
            _protocol = fragment.Protocol;
            _id = fragment.FragmentId;
            _ranges = 0;
            _received = 0;
            _total = -1;
            _headerLength = 0;
            StartedMs = nowMs;
            InUse = true;
        }

        public bool Matches(in IpPacketInfo fragment) =>
            _id == fragment.FragmentId && _protocol == fragment.Protocol && _isIPv6 == fragment.IsIPv6
            && _source.AddressSpan.SequenceEqual(fragment.Source) && _destination.AddressSpan.SequenceEqual(fragment.Destination);

        public RangeResult AddRange(int start, int end, bool more)
        {
            if (!more)
            {
                if (_total >= 0 && _total != end) return RangeResult.Invalid;
                for (int i = 0; i < _ranges; i++) if (_ends[i] > end) return RangeResult.Invalid;
            }
            else if (_total >= 0 && end > _total) return RangeResult.Invalid;
            for (int i = 0; i < _ranges; i++)
            {
                if (_starts[i] == start && _ends[i] == end) return RangeResult.Duplicate; // RFC 5722 erratum 3089: an exact copy is just dropped
                if (start < _ends[i] && _starts[i] < end) return RangeResult.Invalid;
            }
            if (_ranges == MaxFragmentsPerDatagram) return RangeResult.Invalid;
            _starts[_ranges] = start;
            _ends[_ranges] = end;
            _ranges++;
            _received += end - start;
            if (!more) _total = end;
            return RangeResult.Added;
        }

        public bool SaveHeader(ReadOnlySpan<byte> header)
        {
            if (header.Length > _header.Length)
            {
                if (_header.Length != 0) ArrayPool<byte>.Shared.Return(_header);
                _header = ArrayPool<byte>.Shared.Rent(Math.Max(header.Length, 64));
            }
            header.CopyTo(_header);
            _headerLength = header.Length;
            return true;
        }

        /// <summary>Writes the first fragment's header, fixed up, and the data; 0 when it cannot (too long, bad header chain).</summary>
        public int WriteWhole(Span<byte> output)
        {
            int length = _headerLength + _total;
            if (length > MaxPacketLength || length > output.Length) return 0;
            var header = output[.._headerLength];
            _header.AsSpan(0, _headerLength).CopyTo(header);
            Buffer.AsSpan(0, _total).CopyTo(output[_headerLength..]);
            if (!_isIPv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)length);
                BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0); // no MF, offset 0
                header[10] = header[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Finish(InternetChecksum.Add(0, header)));
                return length;
            }
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(length - IpPacketWriter.IPv6HeaderLength));
            // The Fragment header is gone: the header before it now names what followed it.
            int nextField = 6, offset = IpPacketWriter.IPv6HeaderLength;
            while (offset < _headerLength)
            {
                if (_headerLength - offset < 8) return 0;
                nextField = offset;
                offset += (header[offset + 1] + 1) * 8;
            }
            if (offset != _headerLength) return 0;
            header[nextField] = _protocol;
            return length;
        }

        public void Release()
        {
            if (Buffer.Length != 0) ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
            InUse = false;
        }
    }
}
