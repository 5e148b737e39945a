using WgSharp.Cli.Ifconfig;
using WgSharp.Keys;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Ops;

/// <summary>
/// hostname.if files (issue 20, minor): quoted words keep their blanks (`wgdescr "peer nine"`), and a file with a
/// line that does not parse applies nothing (no interface up with an address and no peer).
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class HostnameIfAllOrNothingTests : IDisposable
{
    private readonly string _good = TestNames.NewNumberedInterface(), _bad = TestNames.NewNumberedInterface();
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-netstart-aon-").FullName;

    public HostnameIfAllOrNothingTests() => WgSharpCli.CleanUp([_good, _bad], []);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_good, _bad], []);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void QuotedWordsKeepTheirBlanks()
    {
        Assert.True(HostnameIfReader.TrySplitWords("wgpeer K wgdescr \"peer nine\" wgaip 10.0.0.9/32 # note", out var words, out _));
        Assert.Equal(["wgpeer", "K", "wgdescr", "peer nine", "wgaip", "10.0.0.9/32"], words);
        Assert.True(HostnameIfReader.TrySplitWords("description 'a b'c", out words, out _));
        Assert.Equal(["description", "a bc"], words);
        Assert.False(HostnameIfReader.TrySplitWords("wgdescr \"peer", out _, out var error));
        Assert.Contains("unterminated", error);
    }

    [Fact]
    public void AQuotedDescriptionAppliesAndAFileWithABadLineAppliesNothing()
    {
        var peer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();
        File.WriteAllText(Path.Combine(_directory, "hostname." + _good),
            $"wgkey {KeyGenerator.GeneratePrivateKey().ToBase64()}\nwgpeer {peer} wgdescr \"peer nine\" wgaip 10.208.0.9/32\ninet 10.208.0.1/24\nup\n");
        File.WriteAllText(Path.Combine(_directory, "hostname." + _bad),
            $"wgkey {KeyGenerator.GeneratePrivateKey().ToBase64()}\nwgpeer {peer} wgdescr \"peer nine\" wgaip 10.209.0.9/32 wgport 99999\ninet 10.209.0.1/24\nup\n");
        var env = new Dictionary<string, string> { ["WGSHARP_HOSTNAME_DIR"] = _directory };

        var good = WgSharpCli.Shell($"wgsharp netstart {_good}", env);
        Assert.True(good.Succeeded, good.StandardError);
        string status = WgSharpCli.Ok(_good).StandardOutput;
        Assert.Contains("peer nine", status);
        Assert.Contains("<UP,", status);

        var bad = WgSharpCli.Shell($"wgsharp netstart {_bad}", env);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"hostname.{_bad}:2: ", bad.StandardError);
        Assert.Contains("nothing applied", bad.StandardError);
        Assert.False(WgSharpCli.IsServing(_bad));
    }
}
