using System.Net;
using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;

namespace WgSharp.Tests.Ifconfig;

/// <summary>Issue 20's silent acceptances, at the grammar: what is applied differently from what was asked is said.</summary>
public sealed class IfconfigNoticeTests
{
    [Fact]
    public void ALongDescriptionIsCutAndSaysSo()
    {
        var command = IfconfigParser.Parse("wg0", ["wgpeer", TestKeys.Base64(3), "wgdescr", new string('é', 150)]);
        Assert.Equal(31, command.Update.Peers.Single().Description!.Length); // 62 bytes: é never split
        Assert.Equal(["wgdescr: cut to 63 bytes, the limit"], command.Notices);

        var fits = IfconfigParser.Parse("wg0", ["wgpeer", TestKeys.Base64(3), "wgdescr", new string('d', 63)]);
        Assert.Empty(fits.Notices);
    }

    [Fact]
    public void AnMtuThatTurnsIPv6OffOnALinkWithOnlyItsLinkLocalAddressIsSaid()
    {
        IpPrefix linkLocal = new(IPAddress.Parse("fe80::1"), 64), inet = new(IPAddress.Parse("10.0.0.1"), 24);
        Assert.Null(InterfaceAddressPlan.CheckMtu(100, [inet, linkLocal], mtuChanges: true)); // allowed, as before
        Assert.Contains("Linux turns IPv6 off", InterfaceAddressPlan.MtuNotice(100, [inet, linkLocal]));
        Assert.Null(InterfaceAddressPlan.MtuNotice(1280, [linkLocal]));
        Assert.Null(InterfaceAddressPlan.MtuNotice(100, [inet]));
    }
}
