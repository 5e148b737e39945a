using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Runs the coverage-guided fuzzing campaign (fuzz/run.sh: SharpFuzz + AFL++ on the handshake and
/// transport consumer, the UAPI set parser, the ifconfig parser and the netstack's packet input) for 60 s. A crash fails the test
/// and leaves the input in fuzz/crashes/, which FuzzRegressionTests then replays forever.
/// Needs afl++ and the SharpFuzz tool, which .ci/run installs (fuzz/run.sh installs them too).
/// </summary>
[Collection(NetnsCollection.Name)] // CPU-heavy: never alongside the network tests
public class FuzzCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public void SixtySecondCampaignFindsNoCrash()
    {
        var root = RepositoryRoot.Path;
        var result = CommandRunner.Run("bash", [Path.Combine(root, "fuzz", "run.sh"), LongRun.Pick("60", "900")], TimeSpan.FromMinutes(20));
        output.WriteLine(result.StandardOutput);
        output.WriteLine(result.StandardError);
        Assert.False(result.TimedOut, "the fuzzing campaign did not finish");
        Assert.True(result.ExitCode == 0,
            $"fuzz/run.sh exited {result.ExitCode} (1 = a crash, saved in fuzz/crashes/; 2 = afl-fuzz could not run)\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Equal(FuzzTargets.Names.Length, result.StandardOutput.Split('\n').Count(l => l.Contains("crashes 0", StringComparison.Ordinal)));
    }
}
