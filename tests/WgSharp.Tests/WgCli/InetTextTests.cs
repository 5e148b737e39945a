using System.Net;
using WgSharp.Cli.Wg;

namespace WgSharp.Tests.WgCli;

public class InetTextTests
{
    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("fd00::", "fd00::")]
    [InlineData("fd00:0:0:1::", "fd00:0:0:1::")]
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")]
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")] // first of two equally long runs
    [InlineData("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7")] // a single zero group stays
    [InlineData("::102:304", "::1.2.3.4")] // glibc writes IPv4-compatible addresses dotted
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4")]
    [InlineData("::fffe:102:304", "::fffe:102:304")]
    [InlineData("2001:DB8::AB", "2001:db8::ab")]
    public void FormatAddress_matches_inet_ntop(string input, string expected) =>
        Assert.Equal(expected, InetText.FormatAddress(IPAddress.Parse(input)));

    [Fact]
    public void FormatEndpoint_brackets_ipv6()
    {
        Assert.Equal("192.0.2.1:51820", InetText.FormatEndpoint(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 51820)));
        Assert.Equal("[2001:db8::1]:9", InetText.FormatEndpoint(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 9)));
        // A global address keeps a numeric scope (only link-local scopes become interface names).
        Assert.Equal("[2001:db8::1%7]:9", InetText.FormatEndpoint(new IPEndPoint(IPAddress.Parse("2001:db8::1%7"), 9)));
    }
}
