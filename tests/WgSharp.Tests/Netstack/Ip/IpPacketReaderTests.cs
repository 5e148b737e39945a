using System.Buffers.Binary;
using WgSharp.Packets;
using Xunit;
using static WgSharp.Tests.Netstack.Ip.TestPackets;

namespace WgSharp.Tests.Netstack.Ip;

public class IpPacketReaderTests
{
    private static readonly byte[] Data = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void IPv4_Valid_AllFieldsRead()
    {
        var packet = IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, ttl: 33);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.False(ip.IsIPv6);
        Assert.Equal(FakeHost.RemoteV4, ip.Source.ToArray());
        Assert.Equal(FakeHost.LocalV4, ip.Destination.ToArray());
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.Equal(33, ip.HopLimit);
        Assert.Equal(packet.Length, ip.Packet.Length);
        Assert.Equal(20, ip.HeaderLength);
        Assert.False(ip.IsFragment);
    }

    [Fact]
    public void IPv4_Options_Skipped()
    {
        var packet = IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, optionsLength: 12);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.Equal(32, ip.HeaderLength);
        Assert.Equal(Data, ip.Payload.ToArray());
    }

    [Fact]
    public void IPv4_TrailingPadding_CutOff()
    {
        var packet = IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, padding: 7);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.Equal(packet.Length - 7, ip.Packet.Length);
    }

    [Fact]
    public void IPv4_Fragment_FieldsReported()
    {
        var packet = IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, id: 0xBEEF, moreFragments: true, fragmentOffset: 1480);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.True(ip.IsFragment);
        Assert.True(ip.MoreFragments);
        Assert.Equal(1480, ip.FragmentOffset);
        Assert.Equal(0xBEEFu, ip.FragmentId);

        var last = IpPacketReader.TryRead(IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, fragmentOffset: 8), out var tail);
        Assert.Equal(IpReadResult.Ok, last);
        Assert.True(tail.IsFragment);
        Assert.False(tail.MoreFragments);

        IpPacketReader.TryRead(IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, dontFragment: true), out var whole);
        Assert.False(whole.IsFragment);
    }

    [Theory]
    [InlineData("version")]
    [InlineData("ihl-small")]
    [InlineData("ihl-beyond")]
    [InlineData("total-beyond")]
    [InlineData("total-below-header")]
    [InlineData("checksum")]
    public void IPv4_Malformed_Refused(string what)
    {
        var packet = IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data);
        switch (what)
        {
            case "version": packet[0] = 0x55; break;
            case "ihl-small": packet[0] = 0x44; FixIPv4Checksum(packet); break;
            case "ihl-beyond": packet[0] = 0x4F; break;
            case "total-beyond": BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length + 1)); FixIPv4Checksum(packet); break;
            case "total-below-header": BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 19); FixIPv4Checksum(packet); break;
            case "checksum": packet[10] ^= 1; break;
        }
        Assert.Equal(IpReadResult.Malformed, IpPacketReader.TryRead(packet, out var ip));
        Assert.True(ip.Packet.IsEmpty);
    }

    [Fact]
    public void Truncated_EveryLength_NeverThrows_AndIsMalformed()
    {
        foreach (var packet in new[]
        {
            IPv4(FakeHost.RemoteV4, FakeHost.LocalV4, IpProtocol.Udp, Data, optionsLength: 8),
            IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, (0, Extension(8)), (44, FragmentHeader(0, true, 5))),
        })
        {
            for (int length = 0; length < packet.Length; length++)
                Assert.Equal(IpReadResult.Malformed, IpPacketReader.TryRead(packet.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void IPv6_Valid_AllFieldsRead()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Tcp, Data);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.True(ip.IsIPv6);
        Assert.Equal(FakeHost.RemoteV6, ip.Source.ToArray());
        Assert.Equal(FakeHost.LocalV6, ip.Destination.ToArray());
        Assert.Equal(IpProtocol.Tcp, ip.Protocol);
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.Equal(64, ip.HopLimit);
        Assert.Equal(40, ip.HeaderLength);
        Assert.False(ip.IsFragment);
    }

    [Fact]
    public void IPv6_PayloadLengthBeyondBuffer_Malformed_AndPaddingCut()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data);
        var padded = packet.Concat(new byte[5]).ToArray();
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(padded, out var ip));
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.Equal(packet.Length, ip.Packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(Data.Length + 1));
        Assert.Equal(IpReadResult.Malformed, IpPacketReader.TryRead(packet, out _));
    }

    [Fact]
    public void IPv6_ExtensionChain_Skipped()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, (0, Extension(8)), (43, Extension(24)), (60, Extension(16)));
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.Equal(40 + 48, ip.HeaderLength);
    }

    [Fact]
    public void IPv6_RoutingWithSegmentsLeft_Unsupported()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, (43, Extension(24, segmentsLeft: 1)));
        Assert.Equal(IpReadResult.Unsupported, IpPacketReader.TryRead(packet, out _));
    }

    [Fact]
    public void IPv6_TooManyExtensionHeaders_Unsupported()
    {
        var chain = Enumerable.Range(0, IpPacketReader.MaxExtensionHeaders + 1).Select(_ => ((byte)60, Extension(8))).ToArray();
        Assert.Equal(IpReadResult.Unsupported, IpPacketReader.TryRead(IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, chain), out _));
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, chain[1..]), out _));
    }

    [Fact]
    public void IPv6_ExtensionLengthBeyondPacket_Malformed()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, [], (60, Extension(16)));
        packet[41] = 2; // claims 24 bytes, 16 there
        Assert.Equal(IpReadResult.Malformed, IpPacketReader.TryRead(packet, out _));
    }

    [Fact]
    public void IPv6_HopByHopNotFirst_Malformed()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, (60, Extension(8)), (0, Extension(8)));
        Assert.Equal(IpReadResult.Malformed, IpPacketReader.TryRead(packet, out _));
    }

    [Fact]
    public void IPv6_Fragment_FieldsReported()
    {
        var packet = IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, IpProtocol.Udp, Data, (0, Extension(8)), (44, FragmentHeader(1232, true, 0xA1B2C3D4)));
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet, out var ip));
        Assert.True(ip.IsFragment);
        Assert.True(ip.MoreFragments);
        Assert.Equal(1232, ip.FragmentOffset);
        Assert.Equal(0xA1B2C3D4u, ip.FragmentId);
        Assert.Equal(48, ip.HeaderLength); // fixed header + Hop-by-Hop
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(Data, ip.Payload.ToArray());
    }

    [Theory]
    [InlineData((byte)50)] // ESP
    [InlineData((byte)51)] // AH
    [InlineData((byte)99)]
    public void IPv6_OtherNextHeader_ReportedAsIs(byte protocol)
    {
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(IPv6(FakeHost.RemoteV6, FakeHost.LocalV6, protocol, Data), out var ip));
        Assert.Equal(protocol, ip.Protocol);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void Writer_RoundTripsThroughReader(int addressLength)
    {
        var source = addressLength == 4 ? FakeHost.LocalV4 : FakeHost.LocalV6;
        var destination = addressLength == 4 ? FakeHost.RemoteV4 : FakeHost.RemoteV6;
        var packet = new byte[100];
        int header = IpPacketWriter.WriteHeader(packet, source, destination, IpProtocol.Udp, Data.Length, hopLimit: 7);
        Data.CopyTo(packet, header);
        Assert.Equal(addressLength == 4 ? 20 : 40, header);
        Assert.Equal(IpReadResult.Ok, IpPacketReader.TryRead(packet.AsSpan(0, header + Data.Length), out var ip));
        Assert.Equal(source, ip.Source.ToArray());
        Assert.Equal(destination, ip.Destination.ToArray());
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(7, ip.HopLimit);
        Assert.Equal(Data, ip.Payload.ToArray());
        Assert.False(ip.IsFragment);
        if (addressLength == 4)
        {
            Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(0, packet.AsSpan(0, 20))));
            Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(6))); // DF, offset 0
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4)));      // ID 0
        }
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        var random = new Random(1234);
        var buffer = new byte[200];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = (byte)((i & 1) == 0 ? 0x45 + random.Next(11) : 0x60);
            if ((i & 1) == 0) BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)random.Next(220));
            else { BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), (ushort)random.Next(180)); buffer[6] = (byte)(new byte[] { 0, 43, 44, 60, 17 })[random.Next(5)]; }
            var result = IpPacketReader.TryRead(buffer.AsSpan(0, random.Next(buffer.Length)), out var ip);
            if (result == IpReadResult.Ok) Assert.True(ip.Payload.Length <= ip.Packet.Length);
        }
    }
}
