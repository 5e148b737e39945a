using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Runs the coverage-guided fuzzing campaign (fuzz/run.sh: SharpFuzz + AFL++, one target per untrusted input, see
/// docs/robustness.md) for 60 s on a rotating subset of the targets — four a run, a different four each day — so
/// consecutive CI runs cover them all within the same time budget. A crash fails the test and leaves the input in
/// fuzz/crashes/, which FuzzRegressionTests then replays forever (every target, every run, without AFL).
/// Needs afl++ and the SharpFuzz tool, which .ci/run installs (fuzz/run.sh installs them too).
/// </summary>
[Collection(NetnsCollection.Name)] // CPU-heavy: never alongside the network tests
[Trait(TestTiers.Name, TestTiers.Root)]
public class FuzzCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public void SixtySecondCampaignFindsNoCrash()
    {
        var root = RepositoryRoot.Path;
        string[] arguments = LongRun.Enabled ? [Path.Combine(root, "fuzz", "run.sh"), "1800", "all"] : [Path.Combine(root, "fuzz", "run.sh"), "60"];
        var result = CommandRunner.Run("bash", arguments, TimeSpan.FromMinutes(40));
        output.WriteLine(result.StandardOutput);
        output.WriteLine(result.StandardError);
        Assert.False(result.TimedOut, "the fuzzing campaign did not finish");
        Assert.True(result.ExitCode == 0,
            $"fuzz/run.sh exited {result.ExitCode} (1 = a crash, saved in fuzz/crashes/; 2 = afl-fuzz could not run)\n{result.StandardOutput}\n{result.StandardError}");
        var targets = result.StandardOutput.Split('\n').Single(l => l.StartsWith("targets: ", StringComparison.Ordinal))["targets: ".Length..].Split(' ');
        Assert.All(targets, t => Assert.Contains(t, FuzzTargets.Names));
        Assert.Equal(targets.Length, result.StandardOutput.Split('\n').Count(l => l.Contains("crashes 0", StringComparison.Ordinal)));
    }

    /// <summary>run.sh's own list (what its rotation and `all` run) is exactly the targets the harness knows.</summary>
    [Fact]
    public void TheCampaignRotatesThroughEveryTarget()
    {
        string script = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "fuzz", "run.sh"));
        var line = script.Split('\n').Single(l => l.StartsWith("all=(", StringComparison.Ordinal));
        var listed = line["all=(".Length..line.IndexOf(')')].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FuzzTargets.Names.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }
}
