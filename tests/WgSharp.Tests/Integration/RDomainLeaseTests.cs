using System.Diagnostics;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Integration;

/// <summary>The rdomain numbers tests share across overlapping runs: never one that another holder has.</summary>
[Trait(TestTiers.Name, TestTiers.Root)]
public class RDomainLeaseTests
{
    [Fact]
    public void LeasesHeldTogetherHaveDifferentNumbersWhoseNamespacesDoNotExistYet()
    {
        using RDomainLease first = RDomainLease.Take(), second = RDomainLease.Take();
        Assert.NotEqual(first.Number, second.Number);
        Assert.InRange(first.Number, 1, 255);
        Assert.False(NetNs.Exists(first.Namespace));
        Assert.False(NetNs.Exists(second.Namespace));
    }

    [Fact]
    public void ANumberAnotherProcessHoldsIsSkippedAndDisposeDeletesTheNamespace()
    {
        int held;
        using (var probe = RDomainLease.Take()) held = probe.Number;
        // Another test run, as a process of its own: flock(1) on the same file.
        var start = new ProcessStartInfo("flock", ["--exclusive", $"/run/lock/wgsharp-tests-rdomain{held}.lock", "-c", "echo locked; exec sleep 60"])
        {
            RedirectStandardOutput = true,
        };
        using var holder = Process.Start(start)!;
        try
        {
            Assert.Equal("locked", holder.StandardOutput.ReadLine());
            using var lease = RDomainLease.Take();
            Assert.NotEqual(held, lease.Number);
            NetNs.Create(lease.Namespace);
            lease.Dispose();
            Assert.False(NetNs.Exists(lease.Namespace));
        }
        finally { holder.Kill(entireProcessTree: true); }
    }
}
