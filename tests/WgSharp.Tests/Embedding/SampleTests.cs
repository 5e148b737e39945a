using System.Reflection;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>The embedding sample (samples/EmbeddedPing) builds and its ping goes through (root, its own namespaces).</summary>
[Collection(NetnsCollection.Name)] // runs dotnet build: never alongside the CPU-heavy tests there
[Trait(TestTiers.Name, TestTiers.Root)]
public class SampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static string Configuration =>
        typeof(SampleTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    [Fact]
    public void TheEmbeddedPingSampleBuildsRunsAndCleansUp()
    {
        string project = Path.Combine(RepositoryRoot.Path, "samples", "EmbeddedPing");
        var build = CommandRunner.Run("dotnet", ["build", project, "-c", Configuration, "--nologo", "-v", "q"], Timeout);
        Assert.True(build.ExitCode == 0, build.StandardOutput + build.StandardError);
        TestNames.SweepStale();
        string namespaceA = TestNames.NewNamespace(), namespaceB = TestNames.NewNamespace();

        var run = CommandRunner.Run("dotnet", [Path.Combine(project, "bin", Configuration, "net10.0", "EmbeddedPing.dll"),
            namespaceA, namespaceB, TestNames.NewInterface(), TestNames.NewInterface()], Timeout);

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        Assert.Contains("ping answered, handshake done", run.StandardOutput);
        Assert.False(NetNs.Exists(namespaceA));
        Assert.False(NetNs.Exists(namespaceB));
    }
}
