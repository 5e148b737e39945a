namespace WgSharp.Tests;

/// <summary>The guard that keeps the tiers true: without root, a helper that needs it says which trait the test lacks.</summary>
public class TestTiersTests
{
    [Fact]
    public void WithoutRootTheGuardNamesTheTraitToAdd()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TestTiers.RequireRoot("a network namespace", privileged: false));
        Assert.Contains("a network namespace needs root", e.Message, StringComparison.Ordinal);
        Assert.Contains("[Trait(TestTiers.Name, TestTiers.Root)]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithRootTheGuardLetsTheTestRun() => TestTiers.RequireRoot("a network namespace", privileged: true);
}
