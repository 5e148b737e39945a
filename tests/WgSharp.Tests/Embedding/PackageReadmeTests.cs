using System.Net;
using System.Text.RegularExpressions;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Embedding;

/// <summary>
/// The package page (src/WgSharp/PACKAGE.md) shows code that compiles: its example is <see cref="Example"/> below, word for
/// word, and its links work from nuget.org (absolute).
/// </summary>
public partial class PackageReadmeTests
{
    private static string Readme(string project) => File.ReadAllText(Path.Combine(RepositoryRoot.Path, "src", project, "PACKAGE.md"));

    [Fact]
    public void TheReadmeExampleIsTheCompiledOne()
    {
        var block = CodeBlock().Match(Readme("WgSharp"));
        Assert.True(block.Success, "no csharp block in PACKAGE.md");
        var readmeLines = Statements(block.Groups[1].Value.Split('\n'));
        var source = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "tests", "WgSharp.Tests", "Embedding", "PackageReadmeTests.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == "// PACKAGE.md begin");
        int end = Array.FindIndex(source, l => l.Trim() == "// PACKAGE.md end");
        Assert.True(begin > 0 && end > begin + 10, "the example markers are missing");
        Assert.Equal(readmeLines, Statements(source[(begin + 1)..end]));
    }

    [Theory]
    [InlineData("WgSharp")]
    [InlineData("WgSharp.Hosting")]
    public void EveryLinkIsAbsolute(string project)
    {
        var links = MarkdownLink().Matches(Readme(project)).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("https://", link, StringComparison.Ordinal));
    }

    /// <summary>Never run (its peer is an example address); compiled, so a rename of the API breaks the build here first.</summary>
    internal static async Task Example()
    {
        // PACKAGE.md begin
        Key privateKey = Key.Parse("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");  // KeyGenerator.GeneratePrivateKey() makes one
        Key serverKey = Key.Parse("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=");   // the peer's public key

        await using var wg = await WireGuardInterface.StartAsync(new WireGuardInterfaceOptions
        {
            Name = "wg0",
            Userspace = new UserspaceNetworkOptions { Addresses = [IPNetwork.Parse("10.0.0.2/32")] },
            Configuration = new InterfaceConfiguration
            {
                PrivateKey = privateKey,
                Peers = [new PeerConfiguration
                {
                    PublicKey = serverKey,
                    Endpoint = IPEndPoint.Parse("203.0.113.1:51820"),
                    AllowedIPs = [IPNetwork.Parse("10.0.0.0/24")],
                }],
            },
        });

        using var http = new HttpClient(wg.Network.CreateHttpMessageHandler());
        Console.WriteLine(await http.GetStringAsync("http://10.0.0.1/"));
        // PACKAGE.md end
    }

    // The statements without indentation, blank lines or using directives (the test file has its own).
    private static List<string> Statements(IEnumerable<string> lines) =>
        [.. lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using System", StringComparison.Ordinal) && !l.StartsWith("using WgSharp", StringComparison.Ordinal))];

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"\]\(([^)]+)\)")]
    private static partial Regex MarkdownLink();
}
