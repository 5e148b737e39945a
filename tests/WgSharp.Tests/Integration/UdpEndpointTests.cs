using System.Net;
using WgSharp.Device.IO;

namespace WgSharp.Tests.Integration;

public class UdpEndpointTests
{
    [Theory]
    [InlineData("192.0.2.7:51820", true)]
    [InlineData("[2001:db8::1]:443", false)]
    public void ParsesAndPrintsLikeWg(string text, bool isIPv4)
    {
        Assert.True(UdpEndpoint.TryParse(text, out var endpoint));
        Assert.Equal(isIPv4, endpoint.IsIPv4);
        Assert.Equal(text, endpoint.ToString());
        Assert.Equal(IPEndPoint.Parse(text), endpoint.ToIPEndPoint());
    }

    [Theory]
    [InlineData("2001:db8::1:443")]   // IPv6 needs brackets
    [InlineData("192.0.2.7")]         // port required
    [InlineData("192.0.2.7:0")]
    [InlineData("example.com:51820")] // no name resolution here
    [InlineData("")]
    public void RejectsMalformed(string text) => Assert.False(UdpEndpoint.TryParse(text, out _));

    [Fact]
    public void MappedIPv4IsNormalisedAndEqual()
    {
        var mapped = UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.9"), 1000));
        var plain = UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.9"), 1000));
        Assert.True(mapped.IsIPv4);
        Assert.Equal(plain, mapped);
        Assert.Equal(plain.GetHashCode(), mapped.GetHashCode());
    }

    [Fact]
    public void DiffersByPortAddressAndFamily()
    {
        var a = UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1"));
        Assert.NotEqual(a, UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:2")));
        Assert.NotEqual(a, UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.2:1")));
        // Same leading bytes, other family.
        Assert.NotEqual(a, UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("[c000:201::]:1")));
        Assert.True(default(UdpEndpoint).IsEmpty);
        Assert.False(a.IsEmpty);
        Assert.True(UdpEndpoint.FromIPEndPoint(IPEndPoint.Parse("0.0.0.0:0")).IsIPv4);
    }
}
