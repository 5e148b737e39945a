using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Daemon;

/// <summary>
/// The library reads no environment; the daemon still honours its experiment knobs (EnvironmentKnobs), here
/// WGSHARP_GC_STATS=1, which makes it print its collection counts when it stops.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class EnvironmentKnobsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("1", true)]
    [InlineData("0", false)]
    public void TheDaemonReadsWgsharpGcStatsFromItsEnvironment(string value, bool printed)
    {
        using var ns = NetworkNamespace.Create();
        var name = TestNames.NewInterface();
        var (process, output) = DaemonProcess.Start(ns.Name, ["-f", name], new Dictionary<string, string> { ["WGSHARP_GC_STATS"] = value });
        using (process)
        try
        {
            Assert.True(DaemonProcess.WaitUntil(() => File.Exists($"/var/run/wireguard/{name}.sock"), Timeout), output.ToString());
            CommandRunner.Run("kill", "-TERM", process.Id.ToString());
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), output.ToString());
            process.WaitForExit(); // drains the redirected output
            Assert.Equal(printed, output.ToString().Contains("wgsharp GC stats:", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }
}
