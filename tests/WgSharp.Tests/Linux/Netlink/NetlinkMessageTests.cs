using System.Buffers.Binary;
using System.Net;
using System.Text;
using WgSharp.Linux.Netlink;

namespace WgSharp.Tests.Linux.Netlink;

/// <summary>The request builder and the reply readers, with replies a broken or hostile kernel could send.</summary>
public sealed class NetlinkMessageTests
{
    [Fact]
    public void ARequestCarriesItsLengthTypeFlagsSequenceAndPaddedAttributes()
    {
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, RtNetlink.NLM_F_ACK)
            .InterfaceInfo(RtNetlink.AF_UNSPEC, 0, RtNetlink.IFF_UP, RtNetlink.IFF_UP)
            .String(RtNetlink.IFLA_IFNAME, "lo");
        var bytes = request.Finish(42).ToArray();

        Assert.Equal(16 + 16 + 8, bytes.Length); // header, ifinfomsg, "lo\0" in a 4-byte attribute header padded to 8
        Assert.Equal((uint)bytes.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(RtNetlink.RTM_NEWLINK, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(RtNetlink.NLM_F_REQUEST | RtNetlink.NLM_F_ACK, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(RtNetlink.IFF_UP, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(RtNetlink.IFF_UP, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
        Assert.Equal(7, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32)));
        Assert.Equal(RtNetlink.IFLA_IFNAME, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34)));
        Assert.Equal("lo\0\0"u8.ToArray(), bytes[36..40]);
    }

    [Fact]
    public void ANestedAttributeSpansWhatWasAddedInsideIt()
    {
        var request = new NetlinkMessageBuilder(RtNetlink.RTM_NEWLINK, 0).InterfaceInfo(0, 0, 0, 0);
        int start = request.BeginNested(RtNetlink.IFLA_LINKINFO);
        request.String(RtNetlink.IFLA_INFO_KIND, "dummy").EndNested(start);
        var bytes = request.Finish(1).ToArray();

        var message = ReadSingle(bytes);
        var link = RouteNetlinkClient.ParseLink(message with { Type = RtNetlink.RTM_NEWLINK });
        Assert.Null(link); // no name and index 0: not a link
        Assert.Equal(4 + 4 + 8, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32)));
    }

    [Fact]
    public void TwoMessagesInOneDatagramAreReadInTurnThenTheEnd()
    {
        var datagram = Concat(Message(RtNetlink.NLMSG_NOOP, 0, 7, [1, 2, 3]), Message(RtNetlink.NLMSG_DONE, 0, 8, [0, 0, 0, 0]));
        int offset = 0;
        Assert.Equal(NetlinkRead.Read, NetlinkMessageReader.Next(datagram, ref offset, out var first));
        Assert.Equal(7u, first.Sequence);
        Assert.Equal(new byte[] { 1, 2, 3 }, first.Payload.ToArray());
        Assert.Equal(NetlinkRead.Read, NetlinkMessageReader.Next(datagram, ref offset, out var second));
        Assert.Equal(RtNetlink.NLMSG_DONE, second.Type);
        Assert.Equal(NetlinkRead.End, NetlinkMessageReader.Next(datagram, ref offset, out _));
    }

    [Theory]
    [InlineData(8, 16)]     // shorter than a header
    [InlineData(32, 15)]    // a length below the header's own
    [InlineData(32, 33)]    // a length past the datagram
    [InlineData(32, 0)]     // zero: would never advance
    [InlineData(32, -1)]    // 0xFFFFFFFF
    public void AMessageWhoseLengthDoesNotFitIsMalformed(int size, int claimed)
    {
        var datagram = new byte[size];
        if (size >= 4) BinaryPrimitives.WriteInt32LittleEndian(datagram, claimed);
        int offset = 0;
        Assert.Equal(NetlinkRead.Malformed, NetlinkMessageReader.Next(datagram, ref offset, out _));
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 1, 0 })]          // attribute length below its header
    [InlineData(new byte[] { 9, 0, 1, 0, 1, 2 })]    // attribute length past the payload
    [InlineData(new byte[] { 4, 0 })]                // half a header
    public void AnAttributeWhoseLengthDoesNotFitIsMalformed(byte[] attributes)
    {
        var reader = new NetlinkAttributeReader(attributes);
        Assert.Equal(NetlinkRead.Malformed, reader.Next(out _, out _));
    }

    [Fact]
    public void AttributeTypesLoseTheNestedAndByteOrderBits()
    {
        var reader = new NetlinkAttributeReader(new byte[] { 8, 0, 0x12, 0x80, 1, 2, 3, 4 });
        Assert.Equal(NetlinkRead.Read, reader.Next(out ushort type, out var value));
        Assert.Equal(RtNetlink.IFLA_LINKINFO, type);
        Assert.Equal(4, value.Length);
        Assert.Equal(NetlinkRead.End, reader.Next(out _, out _));
    }

    [Fact]
    public void AnErrorReplyGivesTheErrnoAndTheKernelsText()
    {
        var payload = new List<byte>();
        payload.AddRange(Int32(-17));
        payload.AddRange(Message(RtNetlink.RTM_NEWADDR, 0, 5, [])); // the request's header (capped)
        payload.AddRange(Attribute(RtNetlink.NLMSGERR_ATTR_MSG, Encoding.ASCII.GetBytes("address exists\0")));
        var message = ReadSingle(Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_CAPPED | RtNetlink.NLM_F_ACK_TLVS, 5, [.. payload]));

        Assert.True(NetlinkMessageReader.TryReadError(message, out int errno, out string? detail));
        Assert.Equal(17, errno);
        Assert.Equal("address exists", detail);
    }

    [Fact]
    public void AnAcknowledgementIsErrnoZero()
    {
        var message = ReadSingle(Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_CAPPED, 5, [.. Int32(0), .. Message(1, 0, 5, [])]));
        Assert.True(NetlinkMessageReader.TryReadError(message, out int errno, out string? detail));
        Assert.Equal(0, errno);
        Assert.Null(detail);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2 })] // shorter than the error code
    [InlineData(new byte[] { })]
    public void AnErrorReplyTooShortForItsCodeIsRefused(byte[] payload)
    {
        var message = ReadSingle(Message(RtNetlink.NLMSG_ERROR, 0, 5, payload));
        Assert.False(NetlinkMessageReader.TryReadError(message, out _, out _));
    }

    [Fact]
    public void AnErrorReplyWithAnEchoedLengthPastItsEndStillGivesTheErrno()
    {
        // Not capped: the echoed request's length is taken from its header, which claims far more than there is.
        var echoed = Message(1, 0, 5, []);
        BinaryPrimitives.WriteUInt32LittleEndian(echoed, 0xFFFF_FFF0);
        var message = ReadSingle(Message(RtNetlink.NLMSG_ERROR, RtNetlink.NLM_F_ACK_TLVS, 5, [.. Int32(-1), .. echoed]));
        Assert.True(NetlinkMessageReader.TryReadError(message, out int errno, out string? detail));
        Assert.Equal(1, errno);
        Assert.Null(detail);

        var minimum = ReadSingle(Message(RtNetlink.NLMSG_ERROR, 0, 5, Int32(int.MinValue)));
        Assert.True(NetlinkMessageReader.TryReadError(minimum, out errno, out _));
        Assert.True(errno > 0);
    }

    [Fact]
    public void ALinkReplyIsReadWithItsNameMtuKindAliasAndFlags()
    {
        var payload = new List<byte>();
        payload.AddRange(IfInfo(index: 7, flags: RtNetlink.IFF_UP));
        payload.AddRange(Attribute(RtNetlink.IFLA_IFNAME, "wg0\0"u8.ToArray()));
        payload.AddRange(Attribute(RtNetlink.IFLA_MTU, Int32(1420)));
        payload.AddRange(Attribute(RtNetlink.IFLA_IFALIAS, "office\0"u8.ToArray()));
        payload.AddRange(Attribute((ushort)(RtNetlink.IFLA_LINKINFO | 0x8000), Attribute(RtNetlink.IFLA_INFO_KIND, "tun\0"u8.ToArray())));
        var link = RouteNetlinkClient.ParseLink(ReadSingle(Message(RtNetlink.RTM_NEWLINK, 0, 1, [.. payload])));

        Assert.Equal(new LinkInfo(7, "wg0", RtNetlink.IFF_UP, 1420, "tun", "office"), link);
        Assert.True(link!.IsUp);
    }

    [Fact]
    public void ALinkReplyWithATruncatedAttributeOrAShortHeaderIsSkipped()
    {
        var truncated = new List<byte>();
        truncated.AddRange(IfInfo(index: 7, flags: 0));
        truncated.AddRange(Attribute(RtNetlink.IFLA_IFNAME, "wg0\0"u8.ToArray()));
        truncated.AddRange(new byte[] { 200, 0, (byte)RtNetlink.IFLA_MTU, 0, 1 });
        Assert.Null(RouteNetlinkClient.ParseLink(ReadSingle(Message(RtNetlink.RTM_NEWLINK, 0, 1, [.. truncated]))));
        Assert.Null(RouteNetlinkClient.ParseLink(ReadSingle(Message(RtNetlink.RTM_NEWLINK, 0, 1, new byte[15]))));
        // An MTU of the wrong size is ignored, not read past.
        var oddMtu = new List<byte>(IfInfo(index: 3, flags: 0));
        oddMtu.AddRange(Attribute(RtNetlink.IFLA_IFNAME, "x\0"u8.ToArray()));
        oddMtu.AddRange(Attribute(RtNetlink.IFLA_MTU, [1, 2]));
        Assert.Equal(0, RouteNetlinkClient.ParseLink(ReadSingle(Message(RtNetlink.RTM_NEWLINK, 0, 1, [.. oddMtu])))!.Mtu);
    }

    [Fact]
    public void AnAddressReplyPrefersTheLocalAddressAndChecksItsSize()
    {
        var payload = new List<byte> { RtNetlink.AF_INET, 24, 0, 0 };
        payload.AddRange(Int32(5));
        payload.AddRange(Attribute(RtNetlink.IFA_ADDRESS, [10, 0, 0, 2]));
        payload.AddRange(Attribute(RtNetlink.IFA_LOCAL, [10, 0, 0, 1]));
        payload.AddRange(Attribute(RtNetlink.IFA_LOCAL, [1, 2, 3])); // wrong size: ignored
        var address = RouteNetlinkClient.ParseAddress(ReadSingle(Message(RtNetlink.RTM_NEWADDR, 0, 1, [.. payload])));
        Assert.Equal(new AddressInfo(5, IPAddress.Parse("10.0.0.1"), 24, 0), address);

        payload[1] = 33; // a prefix longer than the address
        Assert.Null(RouteNetlinkClient.ParseAddress(ReadSingle(Message(RtNetlink.RTM_NEWADDR, 0, 1, [.. payload]))));
        payload[0] = 99; // an unknown family
        Assert.Null(RouteNetlinkClient.ParseAddress(ReadSingle(Message(RtNetlink.RTM_NEWADDR, 0, 1, [.. payload]))));
    }

    [Fact]
    public void RandomBytesNeverThrowFromTheReaders()
    {
        var random = new Random(22);
        for (int i = 0; i < 20_000; i++)
        {
            var datagram = new byte[random.Next(0, 96)];
            random.NextBytes(datagram);
            if (datagram.Length >= 4 && random.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(datagram, random.Next(0, datagram.Length + 8));
            int offset = 0;
            for (int steps = 0; steps < 64 && NetlinkMessageReader.Next(datagram, ref offset, out var message) == NetlinkRead.Read; steps++)
            {
                NetlinkMessageReader.TryReadError(message, out _, out _);
                RouteNetlinkClient.ParseLink(message with { Type = RtNetlink.RTM_NEWLINK });
                RouteNetlinkClient.ParseAddress(message with { Type = RtNetlink.RTM_NEWADDR });
                RouteNetlinkClient.ParseAddress(new NetlinkMessage(RtNetlink.RTM_NEWADDR, 0, 0, [RtNetlink.AF_INET6, .. message.Payload]));
            }
        }
    }

    [Fact]
    public void AFailureReadsAsOneLineNamingTheAttemptAndTheErrno()
    {
        Assert.Equal("cannot create network namespace 'x': operation not permitted (EPERM)",
            new NetworkSetupException("create network namespace 'x'", 1).Message);
        Assert.Equal("cannot add address 10.0.0.1/24 to link wg0: file exists (EEXIST) (address already assigned)",
            new NetworkSetupException("add address 10.0.0.1/24 to link wg0", 17, "address already\nassigned").Message);
    }

    internal static byte[] Message(ushort type, ushort flags, uint sequence, byte[] payload)
    {
        var bytes = new byte[RtNetlink.Align(16 + payload.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(16 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), sequence);
        payload.CopyTo(bytes, 16);
        return bytes;
    }

    private static byte[] Attribute(ushort type, byte[] value)
    {
        var bytes = new byte[RtNetlink.Align(4 + value.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), type);
        value.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] IfInfo(int index, uint flags)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), flags);
        return bytes;
    }

    internal static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static NetlinkMessage ReadSingle(byte[] datagram)
    {
        int offset = 0;
        Assert.Equal(NetlinkRead.Read, NetlinkMessageReader.Next(datagram, ref offset, out var read));
        // The reader's out value is scoped to this method; the same view over the (heap) datagram is not.
        return new NetlinkMessage(read.Type, read.Flags, read.Sequence, datagram.AsSpan(RtNetlink.HeaderLength, read.Payload.Length));
    }
}
