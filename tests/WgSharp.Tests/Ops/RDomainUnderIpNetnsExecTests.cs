using System.Globalization;
using WgSharp.Linux;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// `rdomain N` from a daemon started under `ip netns exec` (issue 20, item 4): `ip netns exec` gives each command a
/// private mount namespace, so a namespace mounted there is an empty file to everyone else. The rdomainN namespace
/// must be usable from the root mount namespace too, and destroy must leave no file behind.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class RDomainUnderIpNetnsExecTests : IDisposable
{
    private readonly string _name = TestNames.NewInterface();
    private readonly RDomainLease _rdomain = RDomainLease.Take();
    private readonly NetworkNamespace _outer = NetworkNamespace.Create();

    public RDomainUnderIpNetnsExecTests() => WgSharpCli.CleanUp([_name], [_rdomain.Number]);

    public void Dispose()
    {
        WgSharpCli.Shell($"ip netns exec {_outer.Name} wgsharp {_name} destroy || true");
        WgSharpCli.CleanUp([_name], [_rdomain.Number]);
        _rdomain.Dispose();
        _outer.Dispose();
    }

    [Fact]
    public void TheRoutingDomainIsUsableFromEverywhereAndDestroyLeavesNothing()
    {
        int n = _rdomain.Number;
        int port = FreePorts.Udp();
        var created = WgSharpCli.Shell(
            $"ip netns exec {_outer.Name} wgsharp {_name} create wgport {port.ToString(CultureInfo.InvariantCulture)} rdomain {n} 192.168.{n}.1/24");
        Assert.True(created.ExitCode == 0, created.StandardError);

        // From the root mount namespace: the namespace can be entered and holds the interface.
        var entered = CommandRunner.Run("ip", "netns", "exec", _rdomain.Namespace, "ip", "-o", "addr", "show", "dev", _name);
        Assert.True(entered.Succeeded, entered.StandardError);
        Assert.Contains($"192.168.{n}.1/24", entered.StandardOutput);
        Assert.Contains($"rdomain {n}", WgSharpCli.Ok(_name).StandardOutput);

        WgSharpCli.Shell($"ip netns exec {_outer.Name} wgsharp {_name} destroy").EnsureSuccess();
        Assert.False(File.Exists(NetNs.PathOf(_rdomain.Namespace)), $"{NetNs.PathOf(_rdomain.Namespace)} left behind");
    }
}
