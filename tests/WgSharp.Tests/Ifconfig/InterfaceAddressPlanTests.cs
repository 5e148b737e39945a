using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;

namespace WgSharp.Tests.Ifconfig;

/// <summary>The addresses OpenBSD's ifconfig leaves after each kind of address command.</summary>
public class InterfaceAddressPlanTests
{
    private static IpPrefix P(string text) =>
        IpPrefix.TryParse(text, out var prefix, out var error) ? prefix.Value : throw new ArgumentException(error);

    private static string[] Plan(string[] existing, params string[] args)
    {
        Assert.True(IfconfigParser.TryParse("wg1", args, out var command, out var parseError), parseError?.Message);
        Assert.True(InterfaceAddressPlan.TryPlan(existing.Select(P).ToList(), command, out var addresses, out var error), error);
        return addresses.Select(a => a.ToString()).ToArray();
    }

    [Fact]
    public void InetWithoutAliasReplacesTheFirstInetAddressEvenWhenTheNewOneIsAnAlias() =>
        Assert.Equal(["192.168.5.1/24"], Plan(["192.168.5.3/24", "192.168.5.1/24"], "inet", "192.168.5.1/24"));

    [Fact]
    public void InetWithoutAliasReplacesOnlyTheFirst() =>
        Assert.Equal(["10.0.0.2/24", "fd00::1/64", "192.168.5.9/24"],
            Plan(["192.168.5.3/24", "10.0.0.2/24", "fd00::1/64"], "192.168.5.9/24"));

    [Fact]
    public void AliasAdds() =>
        Assert.Equal(["192.168.5.3/24", "192.168.5.1/24"], Plan(["192.168.5.3/24"], "192.168.5.1/24", "alias"));

    [Fact]
    public void MinusAliasAndDeleteRemoveByAddressWhateverTheLength()
    {
        Assert.Equal(["192.168.5.1/24"], Plan(["192.168.5.3/24", "192.168.5.1/24"], "192.168.5.3", "-alias"));
        Assert.Equal(["192.168.5.3/24"], Plan(["192.168.5.3/24", "192.168.5.1/24"], "192.168.5.1/16", "delete"));
    }

    [Fact]
    public void DeletingAnAbsentAddressIsOpenBsdsError()
    {
        Assert.True(IfconfigParser.TryParse("wg1", ["10.9.9.9", "delete"], out var command, out _));
        Assert.False(InterfaceAddressPlan.TryPlan([P("10.0.0.1/24")], command, out _, out var error));
        Assert.Equal("SIOCDIFADDR: 10.9.9.9: Can't assign requested address", error);
    }

    [Fact]
    public void Inet6IsAlwaysAdded() =>
        Assert.Equal(["192.168.5.3/24", "fd00::1/64", "fd00::2/64"], Plan(["192.168.5.3/24", "fd00::1/64"], "inet6", "fd00::2"));

    [Fact]
    public void TheSameAddressWithANewLengthKeepsItsPlace() =>
        Assert.Equal(["192.168.5.3/16", "192.168.5.1/24"], Plan(["192.168.5.3/24", "192.168.5.1/24"], "192.168.5.3/16"));

    [Fact]
    public void MinusInetRemovesTheFamily() =>
        Assert.Equal(["fd00::1/64"], Plan(["192.168.5.3/24", "192.168.5.1/24", "fd00::1/64"], "-inet"));

    [Fact]
    public void ALinkLocalAddressDoesNotStopASmallMtu() =>
        Assert.Null(InterfaceAddressPlan.CheckMtu(100, [P("10.0.0.1/24"), P("fe80::1/64")], mtuChanges: true));

    [Theory]
    [InlineData(1279, true, true)]
    [InlineData(1280, true, false)]
    [InlineData(100, false, false)]
    public void AnMtuBelow1280WithIPv6AddressesIsRefused(int mtu, bool withIPv6, bool refused)
    {
        IpPrefix[] addresses = withIPv6 ? [P("10.0.0.1/24"), P("fd00::1/64")] : [P("10.0.0.1/24")];
        var error = InterfaceAddressPlan.CheckMtu(mtu, addresses, mtuChanges: true);
        Assert.Equal(refused, error is not null);
        if (refused) Assert.Contains("1280", error);
    }
}
