using System.Runtime.InteropServices;
using WgSharp.Protocol;

namespace WgSharp.Device.IO;

/// <summary>
/// A reusable set of preallocated packet slots that moves through the seams in one call: read from the
/// tunnel, sealed in place, sent per endpoint; or received, opened in place, written to the tunnel.
/// </summary>
/// <remarks>
/// Every slot is laid out as [headroom | packet space | tailroom]. An IP packet sits after the headroom
/// (<see cref="Packet"/>), so sealing writes the 16-byte transport header in front of it and the padding
/// and tag behind it without a copy; the resulting datagram starts at the slot's first byte
/// (<see cref="Datagram"/>). A received datagram is placed at the slot's first byte too, so opening it in
/// place leaves the inner packet where <see cref="Packet"/> looks. Which view a slot holds is the
/// holder's knowledge; <see cref="Lengths"/> gives the length of that view, 0 for an empty slot.
/// One contiguous native block holds every slot, so a transport can hand the kernel pointers into it; it
/// is outside the managed heap (a 64-slot batch of 64 KiB slots would otherwise count as 4 MB of
/// allocation and start a collection), and pages no packet reaches are never touched, so never resident.
/// The owner disposes the batch once no thread uses it any more.
/// </remarks>
internal sealed unsafe class PacketBatch : IDisposable
{
    /// <summary>Bytes before each packet: room for the transport header written in place.</summary>
    public const int Headroom = MessageLayout.DataPayload;

    /// <summary>Bytes after each packet's space: padding to a multiple of 16 plus the AEAD tag.</summary>
    public const int Tailroom = 16 + MessageLayout.TagSize;

    /// <summary>The largest IP packet (and, with the headroom, the largest datagram) a slot can hold.</summary>
    public const int MaxPacketSize = 65535;

    private byte* _buffer;
    private readonly int[] _lengths;
    private readonly UdpEndpoint[] _endpoints;
    private readonly LocalAddress[] _localAddresses;

    public PacketBatch(int capacity, int packetSize = MaxPacketSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(packetSize, MessageLayout.MinTransportSize);
        Capacity = capacity;
        PacketSize = packetSize;
        SlotSize = Headroom + packetSize + Tailroom;
        _buffer = (byte*)NativeMemory.Alloc(checked((nuint)capacity * (nuint)SlotSize));
        _lengths = new int[capacity];
        _endpoints = new UdpEndpoint[capacity];
        _localAddresses = new LocalAddress[capacity];
    }

    public int Capacity { get; }

    /// <summary>Room for a packet in each slot (without headroom and tailroom).</summary>
    public int PacketSize { get; }

    /// <summary>Bytes per slot: headroom + packet space + tailroom.</summary>
    public int SlotSize { get; }

    /// <summary>How many slots, from the first, the last read or receive filled.</summary>
    public int Count { get; set; }

    /// <summary>Per slot: the length of what it holds (a packet or a datagram), 0 when empty.</summary>
    public Span<int> Lengths => _lengths;

    /// <summary>Per slot: the datagram's source on receive (or where it goes, as the holder decides).</summary>
    public Span<UdpEndpoint> Endpoints => _endpoints;

    /// <summary>
    /// Per slot, on receive: the local address (and interface) the datagram arrived at, default where the
    /// transport cannot tell. A reply to <see cref="Endpoints"/> leaves from it (sticky source address).
    /// </summary>
    public Span<LocalAddress> LocalAddresses => _localAddresses;

    /// <summary>The whole slot: where a datagram is received or sealed.</summary>
    public Span<byte> Slot(int index) => new(SlotAddress(index), SlotSize);

    /// <summary>The slot's space for a packet (after the headroom), for a tunnel to read into.</summary>
    public Span<byte> PacketSpace(int index) => new(SlotAddress(index) + Headroom, PacketSize);

    /// <summary>The IP packet in a slot (after the headroom, <see cref="Lengths"/> bytes).</summary>
    public Span<byte> Packet(int index) => new(SlotAddress(index) + Headroom, CheckedLength(index, PacketSize));

    /// <summary>The datagram in a slot (from the slot's first byte, <see cref="Lengths"/> bytes).</summary>
    public Span<byte> Datagram(int index) => new(SlotAddress(index), CheckedLength(index, SlotSize));

    /// <summary>Where a slot starts in memory (for vectored I/O over several slots); valid until <see cref="Dispose"/>.</summary>
    internal byte* SlotAddress(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
        ObjectDisposedException.ThrowIf(_buffer == null, this);
        return _buffer + (nint)index * SlotSize;
    }

    private int CheckedLength(int index, int limit)
    {
        int length = _lengths[index];
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)limit, "length");
        return length;
    }

    /// <summary>Frees the slots; spans taken from them must no longer be used.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer != null) NativeMemory.Free(buffer);
    }
}
