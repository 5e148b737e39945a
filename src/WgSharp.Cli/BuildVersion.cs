using System.Reflection;

namespace WgSharp.Cli;

/// <summary>
/// `wgsharp --version`: the version and the git commit it was built from. The SDK's source-control
/// support appends the commit to InformationalVersion ("1.0.0+SHA") when building from a git
/// checkout; built from a tree without git, the commit is "unknown".
/// </summary>
internal static class BuildVersion
{
    public static string Text => TextFor("wgsharp");

    /// <summary>"PROGRAM VERSION (commit SHORTSHA)": one format for `wgsharp --version` and `wgsharp-go --version`.</summary>
    public static string TextFor(string program) => program + Describe(
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion)["wgsharp".Length..];

    /// <summary>"wgsharp VERSION (commit SHORTSHA)" from an informational version such as "1.0.0+0123abcd...".</summary>
    public static string Describe(string? informationalVersion)
    {
        string text = informationalVersion ?? "0.0.0";
        int plus = text.IndexOf('+');
        string version = plus < 0 ? text : text[..plus];
        string commit = plus < 0 ? "" : text[(plus + 1)..];
        bool isCommit = commit.Length >= 7 && commit.All(char.IsAsciiHexDigitLower);
        return $"wgsharp {version} (commit {(isCommit ? commit[..Math.Min(12, commit.Length)] : "unknown")})";
    }
}
