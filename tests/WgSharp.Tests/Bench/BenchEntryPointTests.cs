using System.Diagnostics;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Bench;

/// <summary>
/// The benchmark instruments must at least start: the shell scripts parse, and the BenchmarkDotNet
/// program lists its benchmarks. Nothing here measures or asserts a timing.
/// </summary>
public class BenchEntryPointTests
{
    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Path };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(entireProcessTree: true); throw new TimeoutException(file); }
        return (process.ExitCode, stdout + stderr.Result);
    }

    [Theory]
    [InlineData("bench/e2e.sh")]
    [InlineData("bench/scale.sh")]
    [InlineData("bench/footprint.sh")]
    [InlineData("bench/proxy-startup.sh")]
    [InlineData("bench/userspace.sh")]
    [InlineData("install.sh")]
    [InlineData("test.sh")]
    [InlineData("demo.sh")]
    [InlineData("tools/ensure-debian-packages.sh")]
    [InlineData("tools/method-order.sh")]
    public void ShellScriptParses(string script)
    {
        var path = Path.Combine(RepositoryRoot.Path, script);
        Assert.True(File.Exists(path), path + " is missing");
        var (exit, output) = Run("bash", "-n", path);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void BenchmarkProgramListsTheBenchmarks()
    {
        var (exit, output) = Run("dotnet", "run", "--project", "bench/WgSharp.Bench", "-c", "Release", "--", "--list", "flat");
        Assert.True(exit == 0, output);
        foreach (var name in new[] { "TransportBenchmarks", "HandshakeBenchmarks", "AeadBenchmarks", "AllowedIpsBenchmarks" })
            Assert.Contains(name, output);
    }

    [Fact]
    public void PipelineCommandRunsBothModes()
    {
        var (exit, output) = Run("dotnet", "run", "--project", "bench/WgSharp.Bench", "-c", "Release", "--", "pipeline", "--seconds", "0.2", "--threads", "1,2");
        Assert.True(exit == 0, output);
        Assert.Contains("| seal | 2 |", output);
        Assert.Contains("| pipeline | 2 |", output);
    }
}
