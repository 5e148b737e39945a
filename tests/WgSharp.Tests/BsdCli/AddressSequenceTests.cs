using System.Text.Json;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// Address and mtu commands run through the real CLI in a namespace of their own; after each, the
/// kernel holds exactly the addresses OpenBSD's ifconfig would leave.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class AddressSequenceTests : IDisposable
{
    private readonly NetworkNamespace _netns = NetworkNamespace.Create();
    private readonly string _name = TestNames.NewInterface();

    public AddressSequenceTests() => Cli("create");

    public void Dispose()
    {
        Run("destroy");
        _netns.Dispose();
    }

    private CommandResult Run(params string[] args)
    {
        var (program, prefix) = WgSharpCli.Command;
        return _netns.Exec(program, prefix.Append(_name).Concat(args), TimeSpan.FromSeconds(60));
    }

    private void Cli(params string[] args) => Run(args).EnsureSuccess();

    /// <summary>The link's addresses as the kernel reports them, "ADDR/LEN", sorted; without the IPv6 link-local one the kernel adds itself.</summary>
    private string[] KernelAddresses()
    {
        using var json = JsonDocument.Parse(_netns.Ip("-j", "addr", "show", "dev", _name).StandardOutput);
        return json.RootElement[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}")
            .Where(a => !a.StartsWith("fe80:", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
    }

    private void Expect(params string[] addresses) =>
        Assert.Equal(addresses.Order(StringComparer.Ordinal), KernelAddresses());

    [Fact]
    public void ReplacingThePrimaryWithItsOwnAliasLeavesThatAddress()
    {
        Cli("192.168.5.3/24");
        Expect("192.168.5.3/24");
        Cli("192.168.5.1/24", "alias");
        Expect("192.168.5.3/24", "192.168.5.1/24");
        Cli("inet", "192.168.5.1/24");
        Expect("192.168.5.1/24");
    }

    [Fact]
    public void ReplaceAliasMinusAliasDeleteAndInet6()
    {
        Cli("10.71.0.1/24");
        Cli("10.71.0.2/24", "alias");
        Cli("10.71.0.3/24", "alias");
        Cli("inet6", "fd00:71::1/64");
        Cli("inet6", "fd00:71::2/64");
        Expect("10.71.0.1/24", "10.71.0.2/24", "10.71.0.3/24", "fd00:71::1/64", "fd00:71::2/64");

        Cli("10.71.0.9/24"); // replaces the primary; its secondaries stay
        Expect("10.71.0.2/24", "10.71.0.3/24", "10.71.0.9/24", "fd00:71::1/64", "fd00:71::2/64");
        Cli("10.71.0.2", "-alias");
        Expect("10.71.0.3/24", "10.71.0.9/24", "fd00:71::1/64", "fd00:71::2/64");
        Cli("10.71.0.3", "delete");
        Expect("10.71.0.9/24", "fd00:71::1/64", "fd00:71::2/64");
        Cli("inet6", "fd00:71::1", "delete");
        Expect("10.71.0.9/24", "fd00:71::2/64");
        Cli("10.72.0.1/16", "alias");
        Cli("10.72.0.1/24"); // the first inet address is 10.71.0.9: replaced; 10.72.0.1 takes the new length
        Expect("10.72.0.1/24", "fd00:71::2/64");

        var missing = Run("10.71.0.9", "delete");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Can't assign requested address", missing.StandardError);
        Expect("10.72.0.1/24", "fd00:71::2/64");
    }

    [Fact]
    public void AnMtuThatWouldDropIPv6AddressesIsRefusedAndChangesNothing()
    {
        Cli("10.73.0.1/24");
        Cli("inet6", "fd00:73::1/64", "mtu", "1420");
        var refused = Run("mtu", "100");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("1280", refused.StandardError);
        Assert.DoesNotContain("Exception", refused.StandardError);
        Expect("10.73.0.1/24", "fd00:73::1/64");
        Assert.Contains("mtu 1420", _netns.Ip("link", "show", "dev", _name).StandardOutput);

        // Without IPv6 addresses a small MTU is fine; an IPv6 address then needs a larger one.
        Cli("inet6", "fd00:73::1", "delete", "mtu", "100");
        Assert.Contains("mtu 100", _netns.Ip("link", "show", "dev", _name).StandardOutput);
        var inet6 = Run("inet6", "fd00:73::2/64");
        Assert.NotEqual(0, inet6.ExitCode);
        Assert.Contains("1280", inet6.StandardError);
        Cli("inet6", "fd00:73::2/64", "mtu", "1280");
        Expect("10.73.0.1/24", "fd00:73::2/64");
    }

    [Theory]
    [InlineData("67")]
    [InlineData("65536")]
    public void AnMtuOutsideTheKernelsRangeIsRefused(string mtu)
    {
        var refused = Run("mtu", mtu);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal($"wgsharp: mtu: {mtu}: out of range\n", refused.StandardError);
    }
}
