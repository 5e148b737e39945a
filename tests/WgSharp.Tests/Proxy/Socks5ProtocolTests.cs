using System.Net;
using WgSharp.Cli.Proxy.Socks5;

namespace WgSharp.Tests.Proxy;

public class Socks5ProtocolTests
{
    [Fact]
    public void AGreetingIsReadWhole()
    {
        byte[] greeting = [5, 2, 0, 2, 0xaa];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseGreeting(greeting, out int consumed, out bool noAuth, out bool userPass));
        Assert.Equal(4, consumed);
        Assert.True(noAuth);
        Assert.True(userPass);
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseGreeting([5, 1, 2], out _, out noAuth, out userPass));
        Assert.False(noAuth);
        Assert.True(userPass);
    }

    [Fact]
    public void AGreetingWithNoMethodsIsCompleteAndOffersNothing()
    {
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseGreeting([5, 0], out int consumed, out bool noAuth, out bool userPass));
        Assert.Equal(2, consumed);
        Assert.False(noAuth || userPass);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 5 })]
    [InlineData(new byte[] { 5, 3, 0, 1 })]
    public void AShortGreetingIsIncomplete(byte[] data) =>
        Assert.Equal(Socks5Parse.Incomplete, Socks5Protocol.ParseGreeting(data, out _, out _, out _));

    [Theory]
    [InlineData(new byte[] { 4, 1, 0 })]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T' })]
    public void AnotherProtocolIsBadVersion(byte[] data) =>
        Assert.Equal(Socks5Parse.BadVersion, Socks5Protocol.ParseGreeting(data, out _, out _, out _));

    [Fact]
    public void UserNameAndPasswordAreFound()
    {
        byte[] message = [1, 3, (byte)'b', (byte)'o', (byte)'b', 2, (byte)'p', (byte)'w', 99];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseUserPass(message, out int consumed, out var user, out var password));
        Assert.Equal(8, consumed);
        Assert.Equal("bob"u8.ToArray(), message[user]);
        Assert.Equal("pw"u8.ToArray(), message[password]);
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseUserPass([1, 0, 0], out consumed, out user, out password));
        Assert.Equal(3, consumed);
        Assert.Empty(new byte[] { 1, 0, 0 }[user]);
    }

    [Theory]
    [InlineData(new byte[0], (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 1 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 1, 3, 97, 98 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 1, 1, 97, 2, 98 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 97, 1, 98 }, (int)Socks5Parse.BadVersion)]
    public void AuthenticationParseOutcomes(byte[] data, int expected) =>
        Assert.Equal((Socks5Parse)expected, Socks5Protocol.ParseUserPass(data, out _, out _, out _));

    [Fact]
    public void ARequestToAnIPv4AddressIsRead()
    {
        byte[] request = [5, 1, 0, 1, 10, 1, 2, 3, 0x1f, 0x90, 0xee];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest(request, out int consumed, out byte command, out var address));
        Assert.Equal(10, consumed);
        Assert.Equal(Socks5Protocol.CommandConnect, command);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 8080), address.ToEndPoint(request));
    }

    [Fact]
    public void ARequestToAnIPv6AddressIsRead()
    {
        var ip = IPAddress.Parse("fd00::1");
        byte[] request = [5, 3, 0, 4, .. ip.GetAddressBytes(), 0, 53];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest(request, out int consumed, out byte command, out var address));
        Assert.Equal(22, consumed);
        Assert.Equal(Socks5Protocol.CommandUdpAssociate, command);
        Assert.Equal(new IPEndPoint(ip, 53), address.ToEndPoint(request));
    }

    [Fact]
    public void ARequestToANameIsRead()
    {
        byte[] request = [5, 1, 0, 3, 8, .. "svc.test"u8.ToArray(), 0, 80];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest(request, out int consumed, out _, out var address));
        Assert.Equal(request.Length, consumed);
        var name = Assert.IsType<DnsEndPoint>(address.ToEndPoint(request));
        Assert.Equal("svc.test", name.Host);
        Assert.Equal(80, name.Port);
    }

    [Fact]
    public void ANameOfControlBytesOrPortZeroIsNoDestination()
    {
        byte[] control = [5, 1, 0, 3, 3, (byte)'a', 0, (byte)'b', 0, 80];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest(control, out _, out _, out var address));
        Assert.Null(address.ToEndPoint(control));
        byte[] portZero = [5, 1, 0, 3, 1, (byte)'a', 0, 0];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest(portZero, out _, out _, out address));
        Assert.Null(address.ToEndPoint(portZero));
    }

    [Theory]
    [InlineData(new byte[0], (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 0 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 0, 1, 10, 0, 0, 1, 0 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 0, 3 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 0, 3, 4, 97 }, (int)Socks5Parse.Incomplete)]
    [InlineData(new byte[] { 5, 1, 0, 3, 0, 0, 80 }, (int)Socks5Parse.Malformed)]
    [InlineData(new byte[] { 5, 1, 0, 2, 1, 2, 3, 4, 0, 80 }, (int)Socks5Parse.BadAddressType)]
    [InlineData(new byte[] { 4, 1, 0, 80, 1, 2, 3, 4, 0 }, (int)Socks5Parse.BadVersion)]
    public void RequestParseOutcomes(byte[] data, int expected) =>
        Assert.Equal((Socks5Parse)expected, Socks5Protocol.ParseRequest(data, out _, out _, out _));

    [Fact]
    public void AnUnknownCommandIsStillAWholeRequest()
    {
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseRequest([5, 9, 0, 1, 1, 2, 3, 4, 0, 1], out _, out byte command, out _));
        Assert.Equal(9, command);
    }

    [Fact]
    public void AUdpHeaderIsReadAndThePayloadFollows()
    {
        byte[] datagram = [0, 0, 0, 1, 10, 97, 0, 2, 0, 7, (byte)'h', (byte)'i'];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseUdpHeader(datagram, out byte fragment, out var address, out int headerLength));
        Assert.Equal(0, fragment);
        Assert.Equal(10, headerLength);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.97.0.2"), 7), address.ToEndPoint(datagram));
        byte[] fragmentOne = [0, 0, 1, 1, 10, 97, 0, 2, 0, 7];
        Assert.Equal(Socks5Parse.Complete, Socks5Protocol.ParseUdpHeader(fragmentOne, out fragment, out _, out _));
        Assert.Equal(1, fragment);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, (int)Socks5Parse.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 1, 10, 97 }, (int)Socks5Parse.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 3 }, (int)Socks5Parse.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 3, 0, 0, 7 }, (int)Socks5Parse.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 9, 1, 2, 3, 4, 0, 7 }, (int)Socks5Parse.BadAddressType)]
    public void BadUdpHeaders(byte[] data, int expected) =>
        Assert.Equal((Socks5Parse)expected, Socks5Protocol.ParseUdpHeader(data, out _, out _, out _));

    [Fact]
    public void RepliesCarryTheBoundAddress()
    {
        var reply = new byte[Socks5Protocol.MaxReplyLength];
        int length = Socks5Protocol.WriteReply(reply, Socks5Protocol.ReplySucceeded, new IPEndPoint(IPAddress.Parse("10.97.0.1"), 0x1234));
        Assert.Equal(new byte[] { 5, 0, 0, 1, 10, 97, 0, 1, 0x12, 0x34 }, reply[..length]);
        length = Socks5Protocol.WriteReply(reply, Socks5Protocol.ReplyHostUnreachable, null);
        Assert.Equal(new byte[] { 5, 4, 0, 1, 0, 0, 0, 0, 0, 0 }, reply[..length]);
        length = Socks5Protocol.WriteReply(reply, 0, new IPEndPoint(IPAddress.Parse("fd97::1"), 1));
        Assert.Equal(22, length);
        Assert.Equal(Socks5Protocol.AddressIPv6, reply[3]);
        length = Socks5Protocol.WriteUdpHeader(reply, new IPEndPoint(IPAddress.Parse("10.97.0.2").MapToIPv6(), 7));
        Assert.Equal(new byte[] { 0, 0, 0, 1, 10, 97, 0, 2, 0, 7 }, reply[..length]); // a mapped address goes out as IPv4
    }

    [Fact]
    public void ParsersNeverThrowOnAnyPrefixOfRandomBytes()
    {
        var random = new Random(1928);
        var data = new byte[600];
        for (int round = 0; round < 2000; round++)
        {
            random.NextBytes(data);
            if (round % 2 == 0) data[0] = 5;
            int length = random.Next(data.Length);
            var span = data.AsSpan(0, length);
            Socks5Protocol.ParseGreeting(span, out _, out _, out _);
            Socks5Protocol.ParseUserPass(span, out _, out _, out _);
            if (Socks5Protocol.ParseRequest(span, out _, out _, out var address) == Socks5Parse.Complete) address.ToEndPoint(span);
            if (Socks5Protocol.ParseUdpHeader(span, out _, out address, out _) == Socks5Parse.Complete) address.ToEndPoint(span);
        }
    }
}
