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
        var actual = typeof(global::WgSharp.Hosting.WireGuardInterfaceService).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal);
        Assert.Equal(["WgSharp.Hosting.IWireGuardInterfaces", "WgSharp.Hosting.WireGuardInterfaceService", "WgSharp.Hosting.WireGuardServiceCollectionExtensions"], actual);
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
    public void EveryPortInThePublicSurfaceIsAnInt()
    {
        // As the BCL's IPEndPoint.Port: one type, so no caster is needed between our members.
        var ports = PublicMembers().SelectMany(PortTypes).ToList();
        Assert.NotEmpty(ports);
        Assert.All(ports, p => Assert.True(p.Type == typeof(int), $"{p.Where} is {p.Type.Name}"));
    }

    [Fact]
    public void PublicNamesSpellIPAsTheBclDoes()
    {
        var offenders = PublicMembers().Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .Where(n => n.Contains("Ips", StringComparison.Ordinal) || n.Contains("Ip", StringComparison.Ordinal) && !n.Contains("Ipv", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void TheShippedXmlDocumentationCoversOnlyThePublicSurface()
    {
        foreach (var assembly in new[] { Library, typeof(global::WgSharp.Hosting.WireGuardInterfaceService).Assembly })
        {
            var xml = System.Xml.Linq.XDocument.Load(Path.ChangeExtension(assembly.Location, ".xml"));
            var ids = xml.Descendants("member").Select(m => (string)m.Attribute("name")!).ToList();
            var types = ids.Where(id => id.StartsWith("T:", StringComparison.Ordinal)).Select(id => id[2..]).ToList();
            var exported = assembly.GetExportedTypes().Select(t => t.FullName!.Replace('+', '.')).ToHashSet();
            Assert.NotEmpty(types);
            Assert.All(types, t => Assert.Contains(t, exported));
            // Every member entry belongs to an exported type, and internal members of public types are gone too.
            Assert.All(ids, id => Assert.Contains(exported, t => id.StartsWith($"{id[..2]}{t}.", StringComparison.Ordinal) || id == $"T:{t}"));
            Assert.DoesNotContain(ids, id => id.StartsWith("M:WgSharp.WireGuardInterface.StartUserspace", StringComparison.Ordinal));
        }
    }

    private static IEnumerable<MemberInfo> PublicMembers() =>
        new[] { Library, typeof(global::WgSharp.Hosting.WireGuardInterfaceService).Assembly }.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));

    private static IEnumerable<(string Where, Type Type)> PortTypes(MemberInfo member)
    {
        string where = $"{member.DeclaringType!.Name}.{member.Name}";
        if (member is PropertyInfo property && property.Name.EndsWith("Port", StringComparison.Ordinal))
            yield return (where, property.PropertyType);
        if (member is MethodBase method)
            foreach (var parameter in method.GetParameters().Where(p => p.Name is { } n && n.EndsWith("port", StringComparison.OrdinalIgnoreCase)))
                yield return ($"{where}({parameter.Name})", parameter.ParameterType);
    }

    [Fact]
    public void TheXmlDocumentationShipsBesideTheLibrary()
    {
        var xml = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xml), xml);
        Assert.Contains("M:WgSharp.WireGuardInterface.StartAsync", File.ReadAllText(xml), StringComparison.Ordinal);
    }
}
