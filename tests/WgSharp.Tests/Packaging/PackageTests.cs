using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Packaging;

/// <summary>
/// `dotnet pack` gives the library package WgSharp and the CLI as a .NET tool, and the tool installs from a
/// local folder (nothing but that folder as a source) and runs. Packs what the test run already built.
/// </summary>
[Collection(NetnsCollection.Name)] // runs dotnet: never alongside the builds and CPU-heavy tests there
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class PackageTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _scratch = Directory.CreateTempSubdirectory("wgsharp-pack-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    /// <summary>The configuration this test assembly was built in, so `pack --no-build` finds the same outputs.</summary>
    private static string Configuration =>
        typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    private string Pack(string project)
    {
        string feed = Path.Combine(_scratch, "feed");
        var result = CommandRunner.Run("dotnet", ["pack", Path.Combine(RepositoryRoot.Path, project), "-c", Configuration,
            "--no-build", "-o", feed, "--nologo"], Timeout);
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        return feed;
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    private static string? Metadata(XElement nuspec, string name) =>
        nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void LibraryPackageCarriesIdDescriptionLicenseReadmeDocsAndSymbols()
    {
        string feed = Pack("src/WgSharp");
        using var package = ZipFile.OpenRead(Path.Combine(feed, "WgSharp.0.1.0.nupkg"));
        var nuspec = Nuspec(package);
        Assert.Equal("WgSharp", Metadata(nuspec, "id"));
        Assert.False(string.IsNullOrWhiteSpace(Metadata(nuspec, "description")));
        Assert.Equal("MIT", Metadata(nuspec, "license"));
        Assert.Equal("PACKAGE.md", Metadata(nuspec, "readme")); // the readme written for library users, not the repository's
        var files = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("PACKAGE.md", files);
        Assert.Contains("lib/net10.0/WgSharp.dll", files);
        Assert.Contains("lib/net10.0/WgSharp.xml", files);
        Assert.True(File.Exists(Path.Combine(feed, "WgSharp.0.1.0.snupkg")), "no symbols package");
    }

    [Fact]
    public void ToolPackageInstallsFromALocalFolderAndRunsGenkey()
    {
        string feed = Pack("src/WgSharp.Cli");
        using (var package = ZipFile.OpenRead(Path.Combine(feed, "WgSharp.Cli.0.1.0.nupkg")))
        {
            Assert.Contains(Nuspec(package).Descendants(), e => e.Name.LocalName == "packageType" && (string?)e.Attribute("name") == "DotnetTool");
            // Linux only: libsodium's other systems are not shipped.
            var natives = package.Entries.Where(e => e.FullName.Contains("/runtimes/", StringComparison.Ordinal)).Select(e => e.FullName).ToList();
            Assert.NotEmpty(natives);
            Assert.All(natives, n => Assert.Contains("/runtimes/linux", n));
        }

        // Only the local folder as a package source: the install works without any registry.
        string config = Path.Combine(_scratch, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
            """);
        string tools = Path.Combine(_scratch, "tools");
        var install = CommandRunner.Run("dotnet", ["tool", "install", "WgSharp.Cli", "--tool-path", tools, "--configfile", config], Timeout);
        Assert.True(install.ExitCode == 0, install.StandardOutput + install.StandardError);

        var genkey = CommandRunner.Run(Path.Combine(tools, "wgsharp"), "genkey");
        Assert.True(genkey.ExitCode == 0, genkey.StandardError);
        Assert.Equal(32, Convert.FromBase64String(genkey.StandardOutput.Trim()).Length);
    }
}
