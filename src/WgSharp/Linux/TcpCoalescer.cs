using WgSharp.Device.IO;
using System.Runtime.Versioning;
using WgSharp.Packets;
using System.Buffers.Binary;
using WgSharp.Device;

namespace WgSharp.Linux;

/// <summary>
/// The receive-side twin of <see cref="TcpSegmenter"/> (software GRO): glues consecutive TCP segments
/// of one flow into one super-packet, written to the TUN with a GSO virtio_net_hdr, so the local TCP
/// stack handles one packet instead of dozens. Only plain in-order data segments (ACK, PSH on the
/// last) with identical headers apart from length, id, sequence and checksums are merged; anything
/// else is written as it is, after whatever was pending (order is kept). One instance per thread.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class TcpCoalescer(TcpCoalescer.PacketWriter write)
{
    /// <summary>Where finished packets go (the TUN); false when the write failed.</summary>
    public delegate bool PacketWriter(ReadOnlySpan<byte> packet, in VirtioNetHeader header);

    /// <summary>A coalescer writing into a TUN: single packets as checksum-verified, super-packets with their GSO header.</summary>
    public static TcpCoalescer ForTun(TunDevice tun) => new((ReadOnlySpan<byte> packet, in VirtioNetHeader header) => tun.TryWrite(packet, header, out _));

    private const int MaxLength = 65535;
    private const int MaxSegments = 64;
    private const byte TcpAck = 0x10, TcpPsh = 0x08;

    private readonly byte[] _buffer = new byte[MaxLength];
    private int _length;          // bytes in _buffer (0 = nothing pending)
    private int _ipLength;
    private int _headerLength;    // IP + TCP
    private int _segmentSize;     // payload of the first segment (the GSO size)
    private int _lastPayload;
    private int _segments;
    private uint _nextSequence;
    private bool _closed;         // the last segment was short or had PSH: nothing may follow

    public bool HasPending => _length > 0;

    /// <summary>
    /// The pending packet could still grow: full-sized segments so far, no PSH, room for one more. Worth holding
    /// back while the next receive is already queued (a sender's burst often spans two UDP GSO sends).
    /// </summary>
    public bool CanGrow => _length > 0 && !_closed && _length + _segmentSize <= MaxLength && _segments < MaxSegments;

    /// <summary>Adds a decrypted, source-checked packet; writes out what can no longer grow.</summary>
    public void Add(ReadOnlySpan<byte> packet, ITunnelDrops counters)
    {
        if (!TryParse(packet, out int ipLength, out int headerLength))
        {
            Flush(counters);
            Write(packet, counters);
            return;
        }
        if (!ChecksumsAreValid(packet, ipLength))
        {
            // Corrupted before it was encrypted (WireGuard only vouches for what the sender sealed): merging
            // would give it a fresh valid checksum. It goes on alone, untouched, for the stack to check and drop.
            Flush(counters);
            WriteUnverified(packet, counters);
            return;
        }
        int payload = packet.Length - headerLength;
        if (_length > 0 && !CanAppend(packet, ipLength, headerLength, payload)) Flush(counters);
        var tcp = packet[ipLength..];
        if (_length == 0)
        {
            packet.CopyTo(_buffer);
            _length = packet.Length;
            _ipLength = ipLength;
            _headerLength = headerLength;
            _segmentSize = payload;
            _lastPayload = payload;
            _segments = 1;
        }
        else
        {
            packet[headerLength..].CopyTo(_buffer.AsSpan(_length));
            _length += payload;
            _lastPayload = payload;
            _segments++;
            _buffer[_ipLength + 13] |= (byte)(tcp[13] & TcpPsh);
        }
        _nextSequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)payload;
        _closed = (tcp[13] & TcpPsh) != 0 || payload < _segmentSize;
    }

    /// <summary>A TCP data segment we know how to merge: IPv4 without options/fragments or plain IPv6, ACK (+PSH) only.</summary>
    private static bool TryParse(ReadOnlySpan<byte> packet, out int ipLength, out int headerLength)
    {
        ipLength = headerLength = 0;
        if (packet.Length < 40) return false;
        if (packet[0] == 0x45)
        {
            if (packet[9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) return false; // MF or offset
            ipLength = 20;
        }
        else if (packet[0] >> 4 == 6)
        {
            if (packet.Length < 60 || packet[6] != 6) return false;
            ipLength = 40;
        }
        else return false;
        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        if (tcpLength < 20 || packet.Length <= ipLength + tcpLength) return false; // no payload: nothing to merge
        byte flags = packet[ipLength + 13];
        if ((flags & ~TcpPsh) != TcpAck) return false;
        headerLength = ipLength + tcpLength;
        return true;
    }

    /// <summary>The IPv4 header checksum (for IPv4) and the TCP checksum over the pseudo-header, as wireguard-go checks before merging.</summary>
    private static bool ChecksumsAreValid(ReadOnlySpan<byte> packet, int ipLength)
    {
        if (ipLength == 20 && InternetChecksum.Fold(InternetChecksum.Add(0, packet[..20])) != 0xFFFF) return false;
        ulong sum = PseudoHeaderSum(packet, ipLength, packet.Length - ipLength);
        return InternetChecksum.Fold(InternetChecksum.Add(sum, packet[ipLength..])) == 0xFFFF;
    }

    /// <summary>The TCP pseudo-header's sum: addresses, protocol 6 and the TCP length.</summary>
    private static ulong PseudoHeaderSum(ReadOnlySpan<byte> packet, int ipLength, int tcpLength)
    {
        ulong sum = ipLength == 20 ? InternetChecksum.Add(0, packet.Slice(12, 8)) : InternetChecksum.Add(0, packet.Slice(8, 32));
        sum = InternetChecksum.Add(sum, (ushort)6);
        return InternetChecksum.Add(sum, (ushort)tcpLength);
    }

    private bool CanAppend(ReadOnlySpan<byte> packet, int ipLength, int headerLength, int payload)
    {
        if (_closed || ipLength != _ipLength || headerLength != _headerLength) return false;
        if (payload > _segmentSize || _length + payload > MaxLength || _segments >= MaxSegments) return false;
        var pending = _buffer.AsSpan(0, _headerLength);
        if (ipLength == 20)
        {
            // version/IHL/TOS, flags (DF), TTL, protocol, addresses must match; length, id, checksum may differ.
            if (packet[1] != pending[1] || packet[6] != pending[6] || packet[8] != pending[8]) return false;
            if (!packet.Slice(12, 8).SequenceEqual(pending.Slice(12, 8))) return false;
        }
        else
        {
            if (!packet[..4].SequenceEqual(pending[..4]) || packet[7] != pending[7]) return false;
            if (!packet.Slice(8, 32).SequenceEqual(pending.Slice(8, 32))) return false;
        }
        var tcp = packet[ipLength..headerLength];
        var pendingTcp = pending[ipLength..];
        // Ports, ack number, data offset, window, and every option (timestamps included) must match.
        if (!tcp[..4].SequenceEqual(pendingTcp[..4]) || !tcp.Slice(8, 5).SequenceEqual(pendingTcp.Slice(8, 5))) return false;
        if ((tcp[13] & ~TcpPsh) != (pendingTcp[13] & ~TcpPsh)) return false;
        if (!tcp.Slice(14, 2).SequenceEqual(pendingTcp.Slice(14, 2))) return false;
        if (!tcp[20..].SequenceEqual(pendingTcp[20..])) return false;
        return BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) == _nextSequence;
    }

    /// <summary>Writes the pending packet: as it is when it is one segment, else as a GSO super-packet.</summary>
    public void Flush(ITunnelDrops counters)
    {
        if (_length == 0) return;
        var packet = _buffer.AsSpan(0, _length);
        if (_segments == 1)
        {
            Write(packet, counters);
        }
        else
        {
            bool v4 = _ipLength == 20;
            int tcpLength = _length - _ipLength;
            if (v4)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)_length);
                packet[10] = 0;
                packet[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.Add(0, packet[..20])));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)tcpLength);
            }
            // For VIRTIO_NET_HDR_F_NEEDS_CSUM the field carries the pseudo-header sum; the stack completes the rest.
            BinaryPrimitives.WriteUInt16BigEndian(packet[(_ipLength + 16)..], InternetChecksum.Fold(PseudoHeaderSum(packet, _ipLength, tcpLength)));
            var header = new VirtioNetHeader
            {
                Flags = VirtioNetHeader.FlagNeedsChecksum,
                GsoType = v4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6,
                HeaderLength = (ushort)_headerLength,
                GsoSize = (ushort)_segmentSize,
                ChecksumStart = (ushort)_ipLength,
                ChecksumOffset = 16,
            };
            if (!write(packet, header)) counters.CountSendError();
        }
        _length = 0;
        _segments = 0;
    }

    private void Write(ReadOnlySpan<byte> packet, ITunnelDrops counters)
    {
        if (!write(packet, new VirtioNetHeader { Flags = VirtioNetHeader.FlagDataValid })) counters.CountSendError();
    }

    /// <summary>Writes a packet without vouching for its checksum, so the receiving stack verifies it.</summary>
    private void WriteUnverified(ReadOnlySpan<byte> packet, ITunnelDrops counters)
    {
        if (!write(packet, default)) counters.CountSendError();
    }
}
