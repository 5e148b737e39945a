using WgSharp.Keys;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Hardening;

/// <summary>
/// Issue 21, finding 4: netstart runs hostname.IF lines as root (`!cmd` through /bin/sh, `wgkey`), so it must trust
/// only a file root owns and nobody else can write, opened without following a symlink; a world-readable one (it
/// holds a key) is applied with a warning and fixed, as OpenBSD's netstart does.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class ServiceNetstartTrustTests : IDisposable
{
    private const int Nobody = 65534;
    private readonly string _name = TestNames.NewNumberedInterface();
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsb-netstart-trust-").FullName;

    public ServiceNetstartTrustTests() => WgSharpCli.CleanUp([_name], []);

    public void Dispose()
    {
        WgSharpCli.CleanUp([_name], []);
        Directory.Delete(_directory, recursive: true);
    }

    private string FilePath => Path.Combine(_directory, "hostname." + _name);
    private string Marker => Path.Combine(_directory, "ran");
    private Dictionary<string, string> Environment => new() { ["WGSHARP_HOSTNAME_DIR"] = _directory };

    private void WriteFile(UnixFileMode mode, int owner = 0)
    {
        File.WriteAllText(FilePath, $"!touch {Marker}\nwgkey {KeyGenerator.GeneratePrivateKey().ToBase64()}\n");
        File.SetUnixFileMode(FilePath, mode);
        if (owner != 0) WgSharpCli.Shell($"chown {owner} {FilePath}").EnsureSuccess();
    }

    private const UnixFileMode Mode0666 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    [Fact]
    public void AFileOwnedByNobodyWritableByAllIsRefusedAndNothingRuns()
    {
        WriteFile(Mode0666, owner: Nobody);
        var result = WgSharpCli.Shell($"wgsharp netstart {_name}", Environment);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"netstart: {FilePath}: refused: owned by uid {Nobody}, not root", result.StandardError);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.False(File.Exists(Marker));
        Assert.False(WgSharpCli.IsServing(_name));
    }

    [Fact]
    public void ARootFileWritableByTheGroupIsRefused()
    {
        WriteFile(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        var result = WgSharpCli.Shell($"wgsharp netstart {_name}", Environment);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"netstart: {FilePath}: refused: writable by group or others (mode 0660)", result.StandardError);
        Assert.False(File.Exists(Marker));
        Assert.False(WgSharpCli.IsServing(_name));
    }

    [Fact]
    public void ASymlinkIsNotFollowed()
    {
        string target = Path.Combine(_directory, "elsewhere");
        File.WriteAllText(target, $"!touch {Marker}\n");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(FilePath, target);
        var result = WgSharpCli.Shell($"wgsharp netstart {_name}", Environment);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"netstart: {FilePath}: refused: a symbolic link", result.StandardError);
        Assert.False(File.Exists(Marker));
        Assert.False(WgSharpCli.IsServing(_name));
    }

    [Fact]
    public void AWorldReadableRootFileIsAppliedWithAWarningAndItsModeFixed()
    {
        WriteFile(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var result = WgSharpCli.Shell($"wgsharp netstart {_name}", Environment);
        Assert.True(result.Succeeded, result.StandardError);
        Assert.Contains($"netstart: WARNING: {FilePath} is readable by others: mode fixed to 0640", result.StandardError);
        Assert.True(File.Exists(Marker));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(FilePath));
    }
}
