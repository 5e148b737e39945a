using WgSharp.Cli.Ifconfig;
using WgSharp.Keys;

namespace WgSharp.Tests.Hardening;

/// <summary>
/// Issue 21 finding 6: a key pasted in the wrong place (`wgsharp wg0 KEY`, a `wgkey` line wrapped in a hostname.if)
/// must not be printed back in the error, which reaches terminals and the boot journal: the word is named by position.
/// </summary>
public sealed class IfconfigKeyEchoTests : IDisposable
{
    private static readonly Key PrivateKey = KeyGenerator.ClampPrivateKey(KeyGenerator.GeneratePrivateKey());
    private static readonly string Base64 = PrivateKey.ToBase64();
    private static readonly string Hex = PrivateKey.ToHex();
    private static readonly string PeerKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();

    private readonly string _directory = Directory.CreateTempSubdirectory("wgsh-keyecho-").FullName;

    public static TheoryData<string[]> MisplacedKeys() => new()
    {
        { [Base64] },                                              // the key where an address or option belongs
        { [Hex] },
        { ["10.0.0.1/24", Base64] },
        { ["wgport", Base64] },                                    // where a number belongs
        { ["wgpeer", PeerKey, "wgpka", Base64] },
        { ["wgpeer", PeerKey, "wgaip", Base64] },                  // where a prefix belongs
        { ["wgpeer", PeerKey, "wgendpoint", Hex, "51820"] },       // where a host belongs
        { ["wgpeer", Base64[..30]] },                              // half a key (a wrapped line)
        { ["wgrtable", Hex] },
    };

    [Theory]
    [MemberData(nameof(MisplacedKeys))]
    public void TheParserNamesTheWordsPositionAndNeverEchoesAKey(string[] args)
    {
        Assert.False(IfconfigParser.TryParse("wg1", args, out _, out var error));
        AssertNoKeyText(error.FullMessage);
        AssertNoKeyText(error.Word);
        Assert.Matches(@"word \d", error.FullMessage);
    }

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void AWrappedWgkeyLineInAHostnameIfPutsNoPieceOfTheKeyInTheErrors()
    {
        File.WriteAllText(Path.Combine(_directory, "hostname.wg1"),
            $"wgkey {Base64[..20]}\n{Base64[20..]} wgport 51820\nwgpeer {PeerKey} wgaip 10.0.0.2/32\n");
        var file = HostnameIfReader.Read(_directory, "wg1");
        var errors = file.Errors.Select(l => l.Error!).ToList();
        Assert.Equal(2, errors.Count); // the half key after wgkey, and the second half as an unknown word
        foreach (var error in errors) AssertNoKeyText(error.FullMessage);
        Assert.Matches(@":2: word 1: ", errors[1].FullMessage);
    }

    [Fact]
    public void ShortWordsThatCannotBeAKeyAreStillShown()
    {
        Assert.False(IfconfigParser.TryParse("wg1", ["wgport", "70000"], out _, out var error));
        Assert.Equal("wgsharp: wgport: 70000: out of range", error.FullMessage);
        Assert.False(IfconfigParser.TryParse("wg1", ["10.0.0.300/24"], out _, out error));
        Assert.Contains("10.0.0.300", error.FullMessage, StringComparison.Ordinal);
    }

    /// <summary>No 8 consecutive characters of the key's base64 or hex spelling.</summary>
    private static void AssertNoKeyText(string text)
    {
        foreach (var spelling in new[] { Base64, Hex })
            for (int i = 0; i + 8 <= spelling.Length; i++)
                Assert.False(text.Contains(spelling.Substring(i, 8), StringComparison.Ordinal), $"key text in: {text}");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
