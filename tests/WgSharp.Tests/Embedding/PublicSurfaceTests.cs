using System.Reflection;
using System.Runtime.Versioning;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>
/// Pins what the library offers embedders: its public types are exactly those in PublicApi.approved.txt
/// (a change to the surface is a change to that file, seen in review), and the library is portable (its Linux layer marked per type),
/// reads no environment variable and forces no garbage collection.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly Library = typeof(WireGuardInterface).Assembly;
    private static string ApprovedFile => Path.Combine(RepositoryRoot.Path, "tests", "WgSharp.Tests", "Embedding", "PublicApi.approved.txt");

    [Fact]
    public void PublicTypesAreExactlyTheApprovedOnes()
    {
        var actual = Library.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();
        var approved = File.ReadAllLines(ApprovedFile).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal(approved, actual);
    }

    [Fact]
    public void TheHostingPackageAddsOnlyItsServiceAndExtensions()
    {
        var actual = typeof(Hosting.WireGuardInterfaceService).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal);
        Assert.Equal(["WgSharp.Hosting.WireGuardInterfaceService", "WgSharp.Hosting.WireGuardServiceCollectionExtensions"], actual);
    }

    [Fact]
    public void TheLibraryIsPortableAndItsLinuxLayerMarkedLinuxOnly()
    {
        // Userspace mode runs everywhere (docs/embedding.md, Portability); TUN and the rest of the Linux layer say so per type.
        Assert.Empty(Library.GetCustomAttributes<SupportedOSPlatformAttribute>());
        Assert.Equal(["linux"], typeof(global::WgSharp.Linux.TunDevice).GetCustomAttributes<SupportedOSPlatformAttribute>().Select(a => a.PlatformName));
    }

    [Fact]
    public void OnlyLoggingAbstractionsAmongTheLibrarysManagedDependencies()
    {
        var references = Library.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => n.StartsWith("Microsoft.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Microsoft.Extensions.Logging.Abstractions"], references);
    }

    [Fact]
    public void TheLibraryReadsNoEnvironmentAndForcesNoCollection()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "src", "WgSharp"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var text &&
                (text.Contains("Environment.GetEnvironmentVariable", StringComparison.Ordinal) ||
                 text.Contains("GC.Collect(", StringComparison.Ordinal) || text.Contains("GCSettings.", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(RepositoryRoot.Path, f)).ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void TheXmlDocumentationShipsBesideTheLibrary()
    {
        var xml = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xml), xml);
        Assert.Contains("M:WgSharp.WireGuardInterface.StartAsync", File.ReadAllText(xml), StringComparison.Ordinal);
    }
}
