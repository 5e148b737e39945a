using System.Text.RegularExpressions;
using WgSharp.Cli;
using WgSharp.Cli.Ifconfig;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// `wgsharp --help` and the wgsharp(8) man page document every option the ifconfig parser knows
/// (the parser's own table, <see cref="IfconfigOptions"/>), the wg commands and the launcher
/// contract; `--version` names the version and the commit.
/// </summary>
public class HelpAndVersionTests
{
    private static readonly string Key = Convert.ToBase64String(new byte[32]);

    private static string Help()
    {
        var result = WgSharpCli.Run("--help");
        Assert.Equal(0, result.ExitCode);
        return result.StandardOutput;
    }

    [Fact]
    public void HelpListsEveryIfconfigOption()
    {
        string help = Help();
        var missing = IfconfigOptions.All.Where(o => !Regex.IsMatch(help, $@"^  {Regex.Escape(o.Word)}( |$)", RegexOptions.Multiline)).Select(o => o.Word);
        Assert.Empty(missing);
    }

    [Fact]
    public void HelpNamesTheWgCommandsAndTheLauncherContract()
    {
        string help = Help();
        foreach (var text in new[] { "addconf", "syncconf", "setconf", "showconf", "dump", "genkey", "--foreground", "wgsharp-go IFNAME",
                     "WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go", "WG_PROCESS_FOREGROUND", "--version" })
            Assert.Contains(text, help);
    }

    [Fact]
    public void TheManPageDocumentsEveryIfconfigOptionAndTheLauncher()
    {
        string page = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "man", "wgsharp.8"));
        Assert.StartsWith(".Dd ", page);
        Assert.Contains(".Dt WGSHARP 8", page);
        var missing = IfconfigOptions.All.Where(o => !Regex.IsMatch(page, $@"(^\.It|,) Cm {Regex.Escape(o.Word)}( |$)", RegexOptions.Multiline)).Select(o => o.Word);
        Assert.Empty(missing);
        foreach (var text in new[] { "addconf", "syncconf", "dump", "WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go", ".Nm wgsharp-go" })
            Assert.Contains(text, page);
    }

    /// <summary>Sample arguments for each placeholder the table uses.</summary>
    private static string[] SampleArguments(IfconfigOption option) => option.Arguments switch
    {
        "" => [],
        "N" => ["1"],
        "ADDR[/LEN]" => [option.Word == "inet6" ? "fd00::1" : "10.0.0.1/24"],
        "MASK" => ["255.255.255.0"],
        "ADDR" => ["10.0.0.255"],
        "KEY" or "PUBKEY" => [Key],
        "PORT" => ["7000"],
        "SECONDS" => ["25"],
        "HOST PORT" => ["127.0.0.1", "7000"],
        "PREFIX" => ["10.0.0.0/24"],
        "TEXT" => ["office"],
        var other => throw new InvalidOperationException($"no sample for {other}"),
    };

    [Fact]
    public void EveryListedOptionIsHandledByTheParser()
    {
        foreach (var option in IfconfigOptions.All)
        {
            string[] args = ["10.0.0.1/24", "wgpeer", Key, option.Word, .. SampleArguments(option)];
            var thrown = Record.Exception(() => IfconfigParser.TryParse("wg1", args, out _, out _));
            Assert.True(thrown is null, $"{option.Word}: {thrown?.Message}");
        }
    }

    [Fact]
    public void VersionNamesTheVersionAndTheCommitItWasBuiltFrom()
    {
        var result = WgSharpCli.Run("--version");
        Assert.Equal(0, result.ExitCode);
        // Built from a git checkout (as the tests are), the commit is known.
        bool fromGit = Directory.Exists(Path.Combine(RepositoryRoot.Path, ".git")) || File.Exists(Path.Combine(RepositoryRoot.Path, ".git"));
        Assert.Matches(fromGit ? @"^wgsharp \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)\n$" : @"^wgsharp \d+\.\d+\.\d+ \(commit unknown\)\n$", result.StandardOutput);
    }

    [Theory]
    [InlineData("1.2.3+0123456789abcdef0123456789abcdef01234567", "wgsharp 1.2.3 (commit 0123456789ab)")]
    [InlineData("1.2.3", "wgsharp 1.2.3 (commit unknown)")]
    [InlineData("1.2.3+local", "wgsharp 1.2.3 (commit unknown)")]
    [InlineData(null, "wgsharp 0.0.0 (commit unknown)")]
    public void VersionTextFromTheInformationalVersion(string? informational, string expected) =>
        Assert.Equal(expected, BuildVersion.Describe(informational));
}
