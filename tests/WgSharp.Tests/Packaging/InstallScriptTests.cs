using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Packaging;

/// <summary>
/// install.sh into a scratch prefix: the NativeAOT executable (no managed assemblies, no runtime files),
/// libsodium for Linux only, the two names on PATH, the systemd units (the daemon's, the proxy's user unit), the manual when there is one; then
/// `install.sh --uninstall` leaves nothing behind.
/// </summary>
[Collection(NetnsCollection.Name)] // a NativeAOT compile: CPU-heavy, never alongside the network tests
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class InstallScriptTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("wgsharp-install-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static CommandResult InstallScript(params string[] arguments) =>
        CommandRunner.Run("bash", new[] { Path.Combine(RepositoryRoot.Path, "install.sh") }.Concat(arguments), TimeSpan.FromMinutes(10));

    [Fact]
    public void InstallsTheAotBinaryAndUninstallRemovesEverything()
    {
        string prefix = Path.Combine(_scratch, "prefix");
        var install = InstallScript("--prefix", prefix);
        Assert.True(install.ExitCode == 0, install.StandardOutput + install.StandardError);

        string lib = Path.Combine(prefix, "lib", "wgsharp");
        Assert.Equal(new[] { "install-manifest", "libsodium.so", "wgsharp" }, Directory.GetFiles(lib).Select(f => Path.GetFileName(f)).Order());
        // A native executable: ELF, and nothing a framework-dependent build would need beside it.
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(Path.Combine(lib, "wgsharp"))[..4]);
        foreach (var name in new[] { "wgsharp", "wgsharp-go" })
            Assert.Equal(Path.Combine(lib, "wgsharp"), new FileInfo(Path.Combine(prefix, "bin", name)).LinkTarget);
        AssertUnits(prefix);
        bool hasManual = File.Exists(Path.Combine(RepositoryRoot.Path, "docs", "man", "wgsharp.8"));
        Assert.Equal(hasManual, File.Exists(Path.Combine(prefix, "share", "man", "man8", "wgsharp.8")));

        AssertInstalledNamesRun(prefix);

        var uninstall = InstallScript("--prefix", prefix, "--uninstall");
        Assert.True(uninstall.ExitCode == 0, uninstall.StandardOutput + uninstall.StandardError);
        Assert.False(Directory.Exists(prefix), "left behind: " + string.Join(", ",
            Directory.Exists(prefix) ? Directory.GetFileSystemEntries(prefix, "*", SearchOption.AllDirectories) : []));
    }

    /// <summary>
    /// The system unit for the daemon and the user unit for the rootless proxy (where a user manager finds it), each
    /// running the installed `wgsharp`.
    /// </summary>
    private static void AssertUnits(string prefix)
    {
        string unit = File.ReadAllText(Path.Combine(prefix, "lib", "systemd", "system", "wgsharp@.service"));
        Assert.Contains($"ExecStart={prefix}/bin/wgsharp -f %i", unit);
        string userUnit = File.ReadAllText(Path.Combine(prefix, "lib", "systemd", "user", "wgsharp-proxy@.service"));
        Assert.Contains($"ExecStart={prefix}/bin/wgsharp proxy %E/wgsharp/%i.conf", userUnit);
        Assert.Contains("ExecReload=/bin/kill -HUP $MAINPID", userUnit);
        Assert.DoesNotContain("@BINDIR@", userUnit);
    }

    /// <summary>
    /// `wgsharp` runs, and `wgsharp-go`, a link to the same file, is the launcher: told apart by argv[0] alone,
    /// whatever the executable behind the links is called.
    /// </summary>
    private static void AssertInstalledNamesRun(string prefix)
    {
        var genkey = CommandRunner.Run(Path.Combine(prefix, "bin", "wgsharp"), "genkey");
        Assert.True(genkey.ExitCode == 0, genkey.StandardError);
        Assert.Equal(32, Convert.FromBase64String(genkey.StandardOutput.Trim()).Length);
        var launcher = CommandRunner.Run(Path.Combine(prefix, "bin", "wgsharp-go"), "--version");
        Assert.True(launcher.ExitCode == 0, launcher.StandardError);
        Assert.StartsWith("wgsharp-go ", launcher.StandardOutput);
    }

    [Fact]
    public void UninstallKeepsDirectoriesItDidNotCreateAndFilesItDidNotPutDown()
    {
        string prefix = Path.Combine(_scratch, "prefix");
        string bin = Directory.CreateDirectory(Path.Combine(prefix, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "someone-else"), "");
        var install = InstallScript("--prefix", prefix, "--jit");
        Assert.True(install.ExitCode == 0, install.StandardOutput + install.StandardError);
        Assert.True(File.Exists(Path.Combine(prefix, "lib", "wgsharp", "WgSharp.Cli.dll")), "--jit installs the framework-dependent build");
        AssertInstalledNamesRun(prefix); // the apphost, published as wgsharp
        AssertUnits(prefix);

        var uninstall = InstallScript("--prefix", prefix, "--uninstall");
        Assert.True(uninstall.ExitCode == 0, uninstall.StandardOutput + uninstall.StandardError);
        Assert.Equal(new[] { Path.Combine(bin, "someone-else") }, Directory.GetFileSystemEntries(prefix, "*", SearchOption.AllDirectories).Where(File.Exists));
        Assert.Equal(new[] { bin }, Directory.GetDirectories(prefix));
    }
}
