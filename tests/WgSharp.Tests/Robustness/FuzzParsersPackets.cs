using System.Buffers.Binary;
using WgSharp.Device;
using WgSharp.Device.IO;
using WgSharp.Linux;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Fuzz targets for the packet parsers outside the netstack: what a peer with a session sends us (the decrypted inner
/// packet: <see cref="IpPacket"/>'s check, then <see cref="TcpCoalescer"/>'s GRO) and what the TUN hands us with
/// offloads on (the virtio_net_hdr, then <see cref="TcpSegmenter"/>'s GSO split and checksum completion).
/// </summary>
public static class FuzzParsersPackets
{
    /// <summary>
    /// "inner": records of a 2-byte big-endian length and that many bytes (the last may be cut short), each a decrypted
    /// plaintext as the device sees it. A packet that passes <see cref="IpPacket.TryParseInbound"/> goes to the
    /// coalescer, as the receive path does; whatever the coalescer writes must be a well-formed packet, and a
    /// super-packet it writes must segment again (the kernel would otherwise get a packet it cannot take apart).
    /// </summary>
    public static void Inner(ReadOnlySpan<byte> input)
    {
        var counters = new DeviceCounters();
        var coalescer = new TcpCoalescer(CheckWritten);
        while (input.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input), input.Length - 2);
            var plaintext = input.Slice(2, length);
            input = input[(2 + length)..];
            _ = IpPacket.Destination(plaintext);
            if (!IpPacket.TryParseInbound(plaintext, out int packetLength, out var source)) continue;
            if (source.Length is not (4 or 16) || packetLength > plaintext.Length) throw new InvalidOperationException("TryParseInbound: inconsistent result");
            coalescer.Add(plaintext[..packetLength], counters);
        }
        coalescer.Flush(counters);
    }

    private static bool CheckWritten(ReadOnlySpan<byte> packet, in VirtioNetHeader header)
    {
        if (packet.Length is 0 or > 65535) throw new InvalidOperationException($"the coalescer wrote {packet.Length} bytes");
        if (!header.IsGso) return true;
        if (!TcpSegmenter.TryPlan(packet, header, out _, out int segments) || segments < 1)
            throw new InvalidOperationException("the coalescer wrote a super-packet that does not segment again");
        return true;
    }

    /// <summary>
    /// "tun": a 10-byte virtio_net_hdr then the packet, as a TUN opened with IFF_VNET_HDR gives them, through what
    /// LinuxTunnel.Read does with them: a GSO packet is planned and cut into segments of at most the batch's packet
    /// size (the same bound LinuxTunnel applies); any other packet gets its partial checksum completed.
    /// </summary>
    public static void Tun(ReadOnlySpan<byte> input)
    {
        if (input.Length < VirtioNetHeader.Size) return;
        var header = VirtioNetHeader.Read(input[..VirtioNetHeader.Size]);
        var packet = input[VirtioNetHeader.Size..].ToArray();
        if (header.IsGso)
        {
            if (!TcpSegmenter.TryPlan(packet, header, out int headerLength, out int segments) || headerLength + header.GsoSize > PacketBatch.MaxPacketSize)
                return;
            var segment = new byte[PacketBatch.MaxPacketSize];
            for (int index = 0; index < segments; index++)
            {
                int length = TcpSegmenter.WriteSegment(packet, header, headerLength, segments, index, segment);
                if (length < headerLength || length > headerLength + header.GsoSize) throw new InvalidOperationException($"segment {index} is {length} bytes");
            }
            return;
        }
        TcpSegmenter.CompleteChecksum(packet, header);
    }

    /// <summary>Seeds: TCP data segments of one flow (so the coalescer merges), and GSO/needs-checksum TUN reads.</summary>
    public static IEnumerable<(string Target, string Name, byte[] Bytes)> Seeds()
    {
        byte[] v4Source = [10, 0, 0, 1], v4Destination = [10, 0, 0, 2];
        byte[] v6Source = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], v6Destination = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        var first = TcpPacket(v4Source, v4Destination, 1000, 0x10, 100);
        var second = TcpPacket(v4Source, v4Destination, 1100, 0x10, 100);
        var last = TcpPacket(v4Source, v4Destination, 1200, 0x18, 40);
        yield return ("inner", "tcp4-flow", Records(first, second, last));
        yield return ("inner", "tcp6-flow", Records(TcpPacket(v6Source, v6Destination, 1, 0x10, 64), TcpPacket(v6Source, v6Destination, 65, 0x18, 64)));
        yield return ("inner", "padded-and-syn", Records([.. first, 0, 0, 0, 0], TcpPacket(v4Source, v4Destination, 7, 0x02, 0)));

        var super4 = TcpPacket(v4Source, v4Destination, 5000, 0x18, 300);
        yield return ("tun", "gso-tcp4", [.. Header(VirtioNetHeader.GsoTcpV4, 40, 100, 20, 16), .. super4]);
        var super6 = TcpPacket(v6Source, v6Destination, 5000, 0x19, 250);
        yield return ("tun", "gso-tcp6", [.. Header(VirtioNetHeader.GsoTcpV6, 60, 120, 40, 16), .. super6]);
        yield return ("tun", "needs-csum", [.. Header(0, 40, 0, 20, 16), .. TcpPacket(v4Source, v4Destination, 9, 0x18, 10)]);
    }

    private static byte[] Header(byte gsoType, ushort headerLength, ushort gsoSize, ushort checksumStart, ushort checksumOffset)
    {
        var header = new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsChecksum,
            GsoType = gsoType,
            HeaderLength = headerLength,
            GsoSize = gsoSize,
            ChecksumStart = checksumStart,
            ChecksumOffset = checksumOffset,
        };
        var bytes = new byte[VirtioNetHeader.Size];
        header.WriteTo(bytes);
        return bytes;
    }

    private static byte[] TcpPacket(byte[] source, byte[] destination, uint sequence, byte flags, int payload)
    {
        bool v4 = source.Length == 4;
        int ipLength = v4 ? 20 : 40;
        var packet = new byte[ipLength + 20 + payload];
        if (v4)
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = 6;
            source.CopyTo(packet, 12);
            destination.CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Packets.InternetChecksum.Finish(Packets.InternetChecksum.Add(0, packet.AsSpan(0, 20))));
        }
        else
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(20 + payload));
            packet[6] = 6;
            packet[7] = 64;
            source.CopyTo(packet, 8);
            destination.CopyTo(packet, 24);
        }
        var tcp = packet.AsSpan(ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 80);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 1);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        for (int i = 0; i < payload; i++) tcp[20 + i] = (byte)i;
        ushort sum = Packets.InternetChecksum.Finish(Packets.InternetChecksum.Add(
            Packets.InternetChecksum.PseudoHeader(source, destination, 6, tcp.Length), tcp));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], sum);
        return packet;
    }

    private static byte[] Records(params byte[][] packets)
    {
        var bytes = new List<byte>();
        foreach (var packet in packets)
        {
            bytes.Add((byte)(packet.Length >> 8));
            bytes.Add((byte)packet.Length);
            bytes.AddRange(packet);
        }
        return [.. bytes];
    }
}
