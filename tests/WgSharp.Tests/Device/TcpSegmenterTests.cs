using WgSharp.Packets;
using System.Buffers.Binary;
using WgSharp.Linux;

namespace WgSharp.Tests.Device;

/// <summary>
/// The software TSO used with TUN offloads: checksums against a plain RFC 1071 reference, and
/// segments of IPv4/IPv6 TCP super-packets checked field by field.
/// </summary>
public class TcpSegmenterTests
{
    private static ushort ReferenceSum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    private static byte[] PseudoHeaderAndSegment(byte[] packet, bool v4)
    {
        int ip = v4 ? (packet[0] & 0xF) * 4 : 40;
        int tcpLength = packet.Length - ip;
        var pseudo = new List<byte>();
        pseudo.AddRange(v4 ? packet[12..20] : packet[8..40]);
        pseudo.AddRange(new byte[] { 0, 6, (byte)(tcpLength >> 8), (byte)tcpLength });
        pseudo.AddRange(packet[ip..]);
        return pseudo.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(97)]
    [InlineData(1421)]
    [InlineData(65535)]
    public void ChecksumMatchesReference(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(ReferenceSum(data), InternetChecksum.Fold(InternetChecksum.Add(0, data)));
    }

    [Theory]
    [InlineData(1, 1500)]
    [InlineData(3, 1441)]
    [InlineData(0, 65535)]
    public void ChecksumOfAnUnalignedOrAllOnesBufferMatchesReference(int offset, int length)
    {
        // Unaligned starts and the largest word values (all 0xFF) are where a wide sum could go wrong.
        var data = new byte[offset + length];
        if (offset == 0) data.AsSpan().Fill(0xFF);
        else new Random(length).NextBytes(data);
        var span = data.AsSpan(offset);
        Assert.Equal(ReferenceSum(span), InternetChecksum.Fold(InternetChecksum.Add(0, span)));
    }

    private static byte[] SuperPacket(bool v4, int payloadLength, byte tcpFlags, out int headerLength)
    {
        int ip = v4 ? 20 : 40, tcp = 32; // TCP with 12 bytes of options (timestamps)
        headerLength = ip + tcp;
        var p = new byte[headerLength + payloadLength];
        new Random(payloadLength).NextBytes(p.AsSpan(headerLength));
        if (v4)
        {
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)Math.Min(p.Length, 65535));
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 0xFFFE); // id wraps while segmenting
            p[8] = 64; p[9] = 6;
            new byte[] { 10, 0, 0, 1, 10, 0, 0, 2 }.CopyTo(p, 12);
        }
        else
        {
            p[0] = 0x60; p[6] = 6; p[7] = 64;
            p[8] = 0xFD; p[23] = 1; p[24] = 0xFD; p[39] = 2;
        }
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(ip), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(ip + 2), 5201);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(ip + 4), 0xFFFFF000); // sequence wraps too
        p[ip + 12] = (byte)(tcp / 4 << 4);
        p[ip + 13] = tcpFlags;
        p[ip + 20] = 1; p[ip + 21] = 1; p[ip + 22] = 8; p[ip + 23] = 10;
        return p;
    }

    [Theory]
    [InlineData(true, 5000, 1368)]
    [InlineData(true, 1368 * 3, 1368)]
    [InlineData(false, 60000, 1348)]
    [InlineData(false, 10, 1348)]
    public void SegmentsAreValidTcpPackets(bool v4, int payloadLength, int mss)
    {
        const byte ack = 0x10, psh = 0x08, fin = 0x01, cwr = 0x80;
        var packet = SuperPacket(v4, payloadLength, ack | psh | fin | cwr, out int header);
        var vnet = new VirtioNetHeader
        {
            GsoType = v4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6,
            GsoSize = (ushort)mss,
            Flags = VirtioNetHeader.FlagNeedsChecksum,
        };
        Assert.True(TcpSegmenter.TryPlan(packet, vnet, out int headerLength, out int segments));
        Assert.Equal(header, headerLength);
        Assert.Equal((payloadLength + mss - 1) / mss, segments);

        var payload = new List<byte>();
        var buffer = new byte[65536];
        int ip = v4 ? 20 : 40;
        for (int i = 0; i < segments; i++)
        {
            int length = TcpSegmenter.WriteSegment(packet, vnet, headerLength, segments, i, buffer);
            var s = buffer[..length];
            int expectedPayload = Math.Min(mss, payloadLength - i * mss);
            Assert.Equal(header + expectedPayload, length);
            if (v4)
            {
                Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(2)));
                Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4)));
                Assert.Equal(0xFFFF, ReferenceSum(s.AsSpan(0, 20)));
            }
            else Assert.Equal(length - 40, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4)));
            Assert.Equal(unchecked(0xFFFFF000u + (uint)(i * mss)), BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(ip + 4)));
            byte flags = s[ip + 13];
            Assert.Equal(i == segments - 1, (flags & fin) != 0);
            Assert.Equal(i == segments - 1, (flags & psh) != 0);
            Assert.Equal(i == 0, (flags & cwr) != 0);
            Assert.True((flags & ack) != 0);
            Assert.Equal(packet.AsSpan(ip + 20, 12).ToArray(), s.AsSpan(ip + 20, 12).ToArray()); // options kept
            Assert.Equal(0xFFFF, ReferenceSum(PseudoHeaderAndSegment(s, v4)));
            payload.AddRange(s[header..]);
        }
        Assert.Equal(packet[header..], payload.ToArray());
    }

    [Fact]
    public void PartialChecksumIsCompleted()
    {
        var packet = SuperPacket(true, 777, 0x18, out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        // What the kernel leaves: the (uncomplemented) pseudo-header sum in the checksum field.
        int tcpLength = packet.Length - 20;
        var pseudo = packet[12..20].Concat(new byte[] { 0, 6, (byte)(tcpLength >> 8), (byte)tcpLength }).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), ReferenceSum(pseudo));
        var vnet = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = 20, ChecksumOffset = 16 };
        Assert.True(TcpSegmenter.CompleteChecksum(packet, vnet));
        Assert.Equal(0xFFFF, ReferenceSum(PseudoHeaderAndSegment(packet, v4: true)));
    }

    [Fact]
    public void BogusOffloadDescriptionsAreRefused()
    {
        var packet = SuperPacket(true, 3000, 0x10, out _);
        var tcp4 = new VirtioNetHeader { GsoType = VirtioNetHeader.GsoTcpV4, GsoSize = 1000 };
        Assert.False(TcpSegmenter.TryPlan(packet.AsSpan(0, 30), tcp4, out _, out _)); // TCP header cut off
        Assert.False(TcpSegmenter.TryPlan(packet, tcp4 with { GsoSize = 0 }, out _, out _));
        Assert.False(TcpSegmenter.TryPlan(packet, tcp4 with { GsoType = VirtioNetHeader.GsoUdp }, out _, out _));
        Assert.False(TcpSegmenter.TryPlan(packet, tcp4 with { GsoType = VirtioNetHeader.GsoTcpV6 }, out _, out _));
        var badOffset = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = 20, ChecksumOffset = 5000 };
        Assert.False(TcpSegmenter.CompleteChecksum(packet, badOffset));
        packet[32] = 0xF0; // TCP data offset 60 bytes: still inside, fine; 
        Assert.True(TcpSegmenter.TryPlan(packet, tcp4, out int h, out _));
        Assert.Equal(80, h);
        Assert.False(TcpSegmenter.TryPlan(packet.AsSpan(0, 70), tcp4, out _, out _)); // header longer than the packet
    }
}
