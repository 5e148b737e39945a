using System.Runtime.Versioning;
using WgSharp.Cli.Daemon;
using WgSharp.Device.IO;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Hardening;

/// <summary>Issue 21 finding 7: the smaller points, each with a test that failed before its fix.</summary>
[SupportedOSPlatform("linux")]
public sealed class SmallerFindingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsh-small-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void NetNsCreateRemovesTheNamespaceWhenBringingLoopbackUpFails()
    {
        string name = "wgsh-lofail-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => NetNs.Create(name, _ => throw new InvalidOperationException("lo up failed")));
            Assert.Equal("lo up failed", error.Message);
            Assert.False(NetNs.Exists(name), "the half-made namespace was left behind");
        }
        finally
        {
            NetNs.Delete(name);
        }
    }

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void AFwMarkChangeThatFailsOnOneSocketLeavesBothAsTheyWere()
    {
        using var transport = new UdpTransport();
        transport.Bind(0);
        transport.SetFwMark(7);
        // The IPv6 socket refuses the next change (closed under the transport: the only way to make one socket fail).
        var sockets = typeof(UdpTransport).GetField("_sockets", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(transport)!;
        var v6 = (System.Net.Sockets.Socket)sockets.GetType().GetField("V6")!.GetValue(sockets)!;
        v6.Dispose();

        Assert.ThrowsAny<Exception>(() => transport.SetFwMark(9));
        Assert.Equal(7u, transport.ReadFwMark(UdpFamily.IPv4)); // not 9: all or nothing
        Assert.Equal(7u, transport.FwMark);
    }

    [Trait(TestTiers.Name, TestTiers.Root)]
    [Fact]
    public void SystemProgramsAreAbsoluteCheckedPathsNotWhateverPathNamesFirst()
    {
        Assert.Equal("/", SystemPrograms.Path("ip")[..1]);
        Assert.True(SystemPrograms.IsTrusted(SystemPrograms.Path("ip"), out var why), why);

        // A copy anyone can write, first in the list, is passed over for the trusted one.
        var writable = Path.Combine(_directory, "ip");
        File.Copy(SystemPrograms.Path("ip"), writable);
        File.SetUnixFileMode(writable, (UnixFileMode)0b111_111_111);
        Assert.False(SystemPrograms.IsTrusted(writable, out why));
        Assert.Equal("writable by group or others", why);
        Assert.Equal(SystemPrograms.Path("ip"), SystemPrograms.Find("ip", [_directory, .. SystemPrograms.SystemDirectories]));
        Assert.Throws<FileNotFoundException>(() => SystemPrograms.Find("ip", [_directory]));
    }

    [Fact]
    public void TheShippedDaemonIgnoresTheTestKnobs()
    {
        var environment = new Dictionary<string, string>
        {
            ["WGSHARP_TIME_SCALE"] = "30", ["WGSHARP_FORCE_UNDER_LOAD"] = "1", ["WGSHARP_HOSTNAME_DIR"] = "/tmp", ["WGSHARP_CRYPTO_THREADS"] = "3",
        };
        string? Lookup(string name) => environment.GetValueOrDefault(name);

        var shipped = EnvironmentKnobs.ForDevice(Lookup, _directory); // no marker beside the program
        Assert.Same(TimeProvider.System, shipped.TimeProvider);
        Assert.Equal(-1, shipped.UnderLoadQueueLength);
        Assert.Null(EnvironmentKnobs.TestKnob("WGSHARP_HOSTNAME_DIR", Lookup, _directory));
        Assert.Equal(3, shipped.CryptoThreads); // an ordinary tuning knob still works

        File.WriteAllText(Path.Combine(_directory, EnvironmentKnobs.TestKnobsMarker), "");
        var tested = EnvironmentKnobs.ForDevice(Lookup, _directory);
        Assert.Equal(30.0, Assert.IsType<ScaledTimeProvider>(tested.TimeProvider).Scale);
        Assert.Equal(0, tested.UnderLoadQueueLength); // always under load
        Assert.Equal("/tmp", EnvironmentKnobs.TestKnob("WGSHARP_HOSTNAME_DIR", Lookup, _directory));
    }

    [Fact]
    public void UninstallRefusesAManifestNamingAPathOutsideThePrefixAndRemovesNothing()
    {
        var prefix = Path.Combine(_directory, "prefix");
        var libdir = Path.Combine(prefix, "lib", "wgsharp");
        Directory.CreateDirectory(libdir);
        var inside = Path.Combine(prefix, "bin-wgsharp");
        var outside = Path.Combine(_directory, "victim");
        File.WriteAllText(inside, "");
        File.WriteAllText(outside, "");
        File.WriteAllText(Path.Combine(libdir, "install-manifest"), $"f {inside}\nf {prefix}/../victim\n");

        var result = CommandRunner.Run("bash", [Path.Combine(RepositoryRoot.Path, "install.sh"), "--uninstall", "--prefix", prefix]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("outside", result.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(outside), "a file outside the prefix was removed");
        Assert.True(File.Exists(inside), "a refused uninstall removed something");
    }
}
