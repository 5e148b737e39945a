using WgSharp.Configuration;
using WgSharp.Cli.Ifconfig;
using WgSharp.Control.Uapi;
using WgSharp.Linux;

namespace WgSharp.Tests.Configuration;

/// <summary>One rule for interface names (issue 11 item 6), and every place that takes a name follows it.</summary>
public class InterfaceNameTests
{
    public static TheoryData<string> Valid => ["wg0", "a", "wg-home_1.2", "123456789012345", "WG+x@y", "0wg"];

    public static TheoryData<string> Invalid =>
    [
        "", ".", "..", "1234567890123456", "wg/0", "wg:0", "wg 0", "wg\t0", "wg\n0", "wg\00", "wg%d", "wg%0", "%",
        "wgé", "wg\u00a0", "wg\u200b", "\u0433\u0433", "wg\u007f",
    ];

    [Theory]
    [MemberData(nameof(Valid))]
    public void LinuxNamesOfPrintableAsciiAreAccepted(string name) => Assert.True(InterfaceName.IsValid(name));

    [Theory]
    [MemberData(nameof(Invalid))]
    public void EmptyDotsTooLongSlashColonSpaceNulPercentAndNonAsciiAreRefused(string name) => Assert.False(InterfaceName.IsValid(name));

    [Theory]
    [InlineData("wg%d", true)]
    [InlineData("wgsnk%d", true)]
    [InlineData("wg%d%d", false)]
    [InlineData("wg%s", false)]
    [InlineData("wg0", false)]
    [InlineData("wg/%d", false)]
    [InlineData("1234567890123%d", true)]
    [InlineData("12345678901234%d", false)]
    public void OnlyTheTunTakesATemplateWithOnePercentD(string name, bool valid) => Assert.Equal(valid, InterfaceName.IsValidTemplate(name));

    [Theory]
    [MemberData(nameof(Valid))]
    [MemberData(nameof(Invalid))]
    public void TheTunTheUapiAndTheIfconfigParserAgree(string name)
    {
        bool valid = InterfaceName.IsValid(name);
        Assert.Equal(valid, IfconfigParser.TryParse(name, ["up"], out _, out _));
        Assert.Equal(valid, Accepts(() => UapiProtocol.SocketPathFor(name)));
        Assert.Equal(valid || InterfaceName.IsValidTemplate(name), Accepts(() => TunDevice.ValidateName(name)));
    }

    private static bool Accepts(Action check)
    {
        try { check(); return true; }
        catch (ArgumentException) { return false; }
    }
}
