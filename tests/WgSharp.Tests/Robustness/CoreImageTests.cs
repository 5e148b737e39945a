using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Issue 11 item 4: the daemon keeps its private key in one pinned place and lets no stale copy linger, and it
/// is non-dumpable so a crash writes no core. Root (CAP_SYS_PTRACE) can still take a core with gcore: that
/// image, after a setconf of 1,100 peers and a completed handshake, holds the key's bytes at most once.
/// </summary>
[Collection(NetnsCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class CoreImageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsn-core-").FullName;

    [Fact]
    public void TheDaemonIsNonDumpableAndItsCoreImageHoldsThePrivateKeyAtMostOnce()
    {
        var privateKey = KeyPair.ClampPrivateKey(KeyPair.GeneratePrivateKey());
        using var net = new TwoNamespaces();
        using var b = WgSharpPeer.Start(net.B);
        ushort port = (ushort)Random.Shared.Next(40000, 50000);
        b.SetPeer(KeyPair.DerivePublicKey(privateKey), $"{InnerA4}/32", $"{OuterA4}:{port}");
        b.AddAddressAndUp($"{InnerB4}/24");

        using var a = WgSharpDaemon.Start(net.A, TestNames.NewInterface(), debug: false);
        var config = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[Interface]\nPrivateKey = {privateKey.ToBase64()}\nListenPort = {port}\n\n")
            .Append(CultureInfo.InvariantCulture, $"[Peer]\nPublicKey = {b.PublicKey.ToBase64()}\nAllowedIPs = {InnerB4}/32\nEndpoint = {OuterB4}:{b.ListenPort}\n\n");
        for (int i = 0; i < 1099; i++)
            config.Append(CultureInfo.InvariantCulture,
                $"[Peer]\nPublicKey = {KeyPair.DerivePublicKey(KeyPair.GeneratePrivateKey()).ToBase64()}\nAllowedIPs = 172.16.{i / 256}.{i % 256}/32\n\n");
        var file = Path.Combine(_directory, "wg.conf");
        File.WriteAllText(file, config.ToString());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        a.Wg("setconf", a.InterfaceName, file);
        a.AddAddressAndUp($"{InnerA4}/24");
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Output);
        var dump = a.Namespace.Exec("wg", "show", a.InterfaceName, "dump").StandardOutput;
        Assert.Equal(1 + 1100, dump.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // the interface line, then one per peer

        var pid = a.ProcessId.ToString(CultureInfo.InvariantCulture);
        var gdb = CommandRunner.Run("gdb", ["-p", pid, "-batch", "-nx", "-ex", "print (int)prctl(3, 0, 0, 0, 0)", "-ex", $"gcore {Path.Combine(_directory, "core")}"],
            TimeSpan.FromMinutes(3));
        Assert.Contains("$1 = 0", gdb.StandardOutput, StringComparison.Ordinal); // PR_GET_DUMPABLE: not dumpable
        var core = Path.Combine(_directory, "core");
        Assert.True(File.Exists(core), gdb.StandardOutput + gdb.StandardError);

        int copies = CountOccurrences(core, privateKey.AsSpan());
        output.WriteLine($"core image: {new FileInfo(core).Length >> 20} MiB, private key found {copies} time(s)");
        Assert.InRange(copies, 0, 1);
    }

    private static int CountOccurrences(string path, ReadOnlySpan<byte> pattern)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[(4 << 20) + pattern.Length];
        int carried = 0, count = 0, read;
        while ((read = stream.Read(buffer, carried, buffer.Length - carried)) > 0)
        {
            var window = buffer.AsSpan(0, carried + read);
            for (int at = 0, found; (found = window[at..].IndexOf(pattern)) >= 0; at += found + 1) count++;
            // Keep the last bytes so a key that straddles two reads is found once, and not counted twice.
            carried = Math.Min(pattern.Length - 1, window.Length);
            window[^carried..].CopyTo(buffer);
        }
        return count;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
