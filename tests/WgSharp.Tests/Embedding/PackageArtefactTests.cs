using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Xml.Linq;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>
/// What a package consumer gets (dotnet pack of the built library, offline): the package readme, the repository and
/// commit, XML docs of the public surface only, and Source Link in the symbol package's PDB.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)] // runs dotnet pack: never alongside the CPU-heavy tests there
public class PackageArtefactTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static string Configuration =>
        typeof(PackageArtefactTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    [Theory]
    [InlineData("WgSharp", typeof(WireGuardInterface))]
    [InlineData("WgSharp.Hosting", typeof(global::WgSharp.Hosting.WireGuardInterfaceService))]
    public void ThePackageCarriesItsReadmeRepositoryPublicDocsAndSourceLink(string project, Type anyType)
    {
        string output = Directory.CreateTempSubdirectory("wgsharp-pack-").FullName;
        try
        {
            var pack = CommandRunner.Run("dotnet", ["pack", Path.Combine(RepositoryRoot.Path, "src", project), "-c", Configuration,
                "--no-build", "--nologo", "-v", "q", "-o", output], Timeout);
            Assert.True(pack.ExitCode == 0, pack.StandardOutput + pack.StandardError);

            using var package = ZipFile.OpenRead(Directory.GetFiles(output, $"{project}.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal)));
            var nuspec = XDocument.Load(package.GetEntry($"{project}.nuspec")!.Open()).Root!;
            XNamespace ns = nuspec.Name.Namespace;
            var metadata = nuspec.Element(ns + "metadata")!;
            Assert.Equal("PACKAGE.md", metadata.Element(ns + "readme")?.Value);
            Assert.NotNull(package.GetEntry("PACKAGE.md"));
            Assert.StartsWith("https://", metadata.Element(ns + "projectUrl")?.Value, StringComparison.Ordinal);
            var repository = metadata.Element(ns + "repository")!;
            Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit"));

            var docs = XDocument.Load(package.GetEntry($"lib/net10.0/{project}.xml")!.Open());
            var exported = anyType.Assembly.GetExportedTypes().Select(t => "T:" + t.FullName!.Replace('+', '.')).ToHashSet();
            var documentedTypes = docs.Descendants("member").Select(m => (string)m.Attribute("name")!).Where(n => n.StartsWith("T:", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(documentedTypes);
            Assert.All(documentedTypes, t => Assert.Contains(t, exported));

            using var symbols = ZipFile.OpenRead(Directory.GetFiles(output, $"{project}.*.snupkg").Single());
            using var pdb = new MemoryStream();
            symbols.GetEntry($"lib/net10.0/{project}.pdb")!.Open().CopyTo(pdb);
            string pdbText = Encoding.Latin1.GetString(pdb.ToArray());
            Assert.Contains("{\"documents\":", pdbText, StringComparison.Ordinal);
            Assert.Contains("https://raw.githubusercontent.com/", pdbText, StringComparison.Ordinal);
        }
        finally { Directory.Delete(output, recursive: true); }
    }
}
