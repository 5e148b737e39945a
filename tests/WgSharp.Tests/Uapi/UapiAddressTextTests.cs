using System.Net;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;

namespace WgSharp.Tests.Uapi;

/// <summary>Address text must match Go's net/netip, which is what wireguard-go parses and prints.</summary>
public class UapiAddressTextTests
{
    [Theory]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("1::", "1::")]
    [InlineData("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1")] // first of two equal runs
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")] // a single zero group is not compressed
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")] // the longest run wins
    [InlineData("::1.2.3.4", "::102:304")] // .NET would print ::1.2.3.4
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4")]
    [InlineData("::ffff:0102:0304", "::ffff:1.2.3.4")]
    [InlineData("fe80:0:1:2:3:4:5:0", "fe80:0:1:2:3:4:5:0")]
    [InlineData("0:0:0:0:0:0:0:0", "::")]
    [InlineData("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6::", "1:2:3:4:5:6::")]
    [InlineData("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public void AddressesRoundTripAsGoPrintsThem(string input, string expected)
    {
        Assert.True(UapiAddressText.TryParseAddress(input, allowZone: false, out var address), input);
        Assert.Equal(expected, UapiAddressText.FormatAddress(address));
        Assert.Equal(IPAddress.Parse(input), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3.-1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("127.1")]
    [InlineData("1.2.3.4 ")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:2")]
    [InlineData("1::2::3")]
    [InlineData("12345::")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7::8")] // "::" must stand for at least one group
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("::1:")]
    [InlineData(":1::")]
    [InlineData("::g")]
    [InlineData("::1.2.3")]
    [InlineData("::1.2.3.4:5")]
    [InlineData("fe80::1%1")] // zones are refused where allowZone is false
    public void BadAddressesAreRefused(string input) =>
        Assert.False(UapiAddressText.TryParseAddress(input, allowZone: false, out _), input);

    [Fact]
    public void ZonesAreAcceptedOnlyWhereAllowed()
    {
        Assert.True(UapiAddressText.TryParseAddress("fe80::1%1", allowZone: true, out var numeric));
        Assert.Equal(1, numeric.ScopeId);
        Assert.True(UapiAddressText.TryParseAddress("fe80::1%lo", allowZone: true, out var named));
        Assert.NotEqual(0, named.ScopeId);
        Assert.False(UapiAddressText.TryParseAddress("fe80::1%", allowZone: true, out _));
        Assert.False(UapiAddressText.TryParseAddress("fe80::1%wgsu-no-such-if", allowZone: true, out _));
        Assert.Equal("[fe80::1%1]:5", UapiAddressText.FormatEndpoint(new IPEndPoint(numeric, 5)));
    }

    [Theory]
    [InlineData("192.0.2.1:51820", "192.0.2.1:51820")]
    [InlineData("192.0.2.1:0", "192.0.2.1:0")]
    [InlineData("192.0.2.1:00080", "192.0.2.1:80")]
    [InlineData("[::1]:65535", "[::1]:65535")]
    [InlineData("[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.1]:1")]
    [InlineData("[FD00:0:0::1]:7", "[fd00::1]:7")]
    public void Endpoints(string input, string expected)
    {
        Assert.True(UapiAddressText.TryParseEndpoint(input, out var endpoint), input);
        Assert.Equal(expected, UapiAddressText.FormatEndpoint(endpoint));
    }

    [Theory]
    [InlineData("10.1.2.3/8", "10.1.2.3/8")] // parsing keeps host bits; the set parser masks
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::/0", "::/0")]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104")]
    [InlineData("fd00::/128", "fd00::/128")]
    public void Prefixes(string input, string expected)
    {
        Assert.True(UapiAddressText.TryParsePrefix(input, out var prefix), input);
        Assert.Equal(expected, UapiAddressText.FormatPrefix(prefix.Value));
    }

    [Fact]
    public void FormatPrefixUsesGoAddressText() =>
        Assert.Equal("::102:304/128", UapiAddressText.FormatPrefix(new IpPrefix(IPAddress.Parse("::1.2.3.4"), 128)));
}
