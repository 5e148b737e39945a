using System.Reflection;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Portability;

/// <summary>
/// The library builds for Windows and macOS with platform compatibility (CA1416) as an error, so nothing portable
/// reaches the Linux layer unguarded; and a build for such a system lists libsodium's native library of that system
/// (the drop of non-Linux natives applies to the Linux-only projects, not to the library).
/// </summary>
[Collection(NetnsCollection.Name)] // runs dotnet build: never alongside the CPU-heavy tests there
public sealed class CrossPlatformBuildTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);
    private readonly string _scratch = Directory.CreateTempSubdirectory("wgsharp-port-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string Configuration =>
        typeof(CrossPlatformBuildTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    [Theory]
    [InlineData("win-x64", "runtimes/win-x64/native/libsodium.dll")]
    [InlineData("osx-arm64", "runtimes/osx-arm64/native/libsodium.dylib")]
    public void TheLibraryBuildsForTheSystemWithItsLibsodium(string rid, string native)
    {
        string output = Path.Combine(_scratch, "out");
        // Its own artifacts folder: a restore for another RID must not rewrite the worktree's obj/ under a running build.
        var build = CommandRunner.Run("dotnet", ["build", Path.Combine(RepositoryRoot.Path, "src", "WgSharp"), "-c", Configuration,
            "-r", rid, "--artifacts-path", Path.Combine(_scratch, "artifacts"), "-o", output, "--nologo", "-v", "q"], Timeout);

        Assert.True(build.ExitCode == 0, build.StandardOutput + build.StandardError);
        Assert.True(File.Exists(Path.Combine(output, "WgSharp.dll")));
        string deps = File.ReadAllText(Path.Combine(output, "WgSharp.deps.json"));
        Assert.Contains(native, deps);
    }
}
