using WgSharp.Tests.BsdCli;

namespace WgSharp.Tests.Ops;

/// <summary>`wgsharp-go --version` and `wgsharp --version` in one format (issue 20, minor): "NAME VERSION (commit SHA)".</summary>
public sealed class VersionFormatTests
{
    [Fact]
    public void BothProgramsPrintTheSameVersionLine()
    {
        var wgsharp = WgSharpCli.Shell("wgsharp --version").StandardOutput.Trim();
        var launcher = WgSharpCli.Shell($"PATH={OperatorCli.LauncherDirectory}:$PATH wgsharp-go --version").StandardOutput.Trim();
        Assert.Matches(@"^wgsharp \S+ \(commit ([0-9a-f]{7,12}|unknown)\)$", wgsharp);
        Assert.Equal("wgsharp-go" + wgsharp["wgsharp".Length..], launcher);
    }
}
