using System.Buffers;
using System.Buffers.Binary;
using WgSharp.Netstack;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// `--pcap FILE`: the tunnel's inner packets as a classic pcap file (LINKTYPE_RAW, 101: each record an IPv4 or IPv6
/// packet), readable by tcpdump and Wireshark. The packet path only copies the packet into a pooled buffer and puts
/// it in a bounded ring; a writer thread of its own writes the file. A full ring drops the packet and counts it,
/// so a slow disk never slows the tunnel. The file is created 0600 (it holds the traffic) and flushed about once
/// a second, so a capture can be read while the proxy runs.
/// </summary>
internal sealed class PcapWriter : IPacketTap, IDisposable
{
    private const uint Magic = 0xa1b2c3d4; // microsecond timestamps, written in our byte order as the format allows
    private const int LinkTypeRaw = 101;
    private const int SnapLength = 65535;
    private const int RecordHeaderSize = 16;

    private readonly FileStream _file;
    private readonly (byte[] Buffer, int Length, long Ticks)[] _ring;
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _ready = new();
    private readonly Thread _thread;
    private int _head, _count;
    private long _dropped, _written;
    private volatile bool _stopping;

    /// <summary>Creates FILE (replacing it) and writes the pcap header; IOException/UnauthorizedAccessException when it cannot.</summary>
    public PcapWriter(string path, int capacity = 8192)
    {
        _ring = new (byte[], int, long)[capacity];
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
            BufferSize = 1 << 16,
        });
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        // thiszone and sigfigs stay 0
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        _file.Write(header);
        _file.Flush();
        _thread = new Thread(Run) { IsBackground = true, Name = "wg-pcap" };
        _thread.Start();
    }

    /// <summary>Packets dropped because the ring was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Packets written to the file.</summary>
    public long Written => Interlocked.Read(ref _written);

    public void Capture(ReadOnlySpan<byte> packet, bool outbound)
    {
        if (_stopping || packet.IsEmpty) return;
        int length = Math.Min(packet.Length, SnapLength);
        lock (_lock)
        {
            if (_count == _ring.Length)
            {
                _dropped++;
                return;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
            packet[..length].CopyTo(buffer);
            _ring[(_head + _count) % _ring.Length] = (buffer, length, DateTime.UtcNow.Ticks);
            _count++;
        }
        if (!_ready.IsSet) _ready.Set();
    }

    private void Run()
    {
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        long lastFlush = Environment.TickCount64;
        while (true)
        {
            (byte[] Buffer, int Length, long Ticks) item;
            bool have;
            lock (_lock)
            {
                have = _count > 0;
                item = have ? _ring[_head] : default;
                if (have)
                {
                    _ring[_head] = default;
                    _head = (_head + 1) % _ring.Length;
                    _count--;
                }
                else _ready.Reset();
            }
            if (!have)
            {
                if (_stopping) break;
                try { _file.Flush(); } catch (IOException) { }
                lastFlush = Environment.TickCount64;
                _ready.Wait(1000);
                continue;
            }
            try
            {
                long sinceEpoch = item.Ticks - DateTime.UnixEpoch.Ticks;
                BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(sinceEpoch / TimeSpan.TicksPerSecond));
                BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(sinceEpoch % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond));
                BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)item.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)item.Length);
                _file.Write(header);
                _file.Write(item.Buffer, 0, item.Length);
                Interlocked.Increment(ref _written);
                if (Environment.TickCount64 - lastFlush > 1000)
                {
                    _file.Flush();
                    lastFlush = Environment.TickCount64;
                }
            }
            catch (IOException)
            {
                Interlocked.Increment(ref _dropped); // disk full: count it and keep draining, the tunnel must not care
            }
            finally { ArrayPool<byte>.Shared.Return(item.Buffer); }
        }
    }

    /// <summary>Stops taking packets, writes what is queued and closes the file.</summary>
    public void Dispose()
    {
        _stopping = true;
        _ready.Set();
        _thread.Join();
        try { _file.Dispose(); } catch (IOException) { }
        // _ready is not disposed: a device thread that read the tap just before it was detached may still Set it.
    }
}
