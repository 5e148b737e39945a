using System.Reflection;
using System.Runtime.Versioning;
using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Protocol.Noise;
using WgSharp.Tests.Daemon;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 7: secrets are wiped when replaced or removed, never logged, and the control socket is closed
/// to other users. (Constant-time comparison is covered by review; see docs/robustness.md.)
/// </summary>
[Collection(NetnsCollection.Name)]
[SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public class SecretHygieneTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsn-secrets-").FullName;

    private static bool IsAllZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;

    private string KeyFile(string name, Key key, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, key.ToBase64() + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void PresharedKeyIsOverwrittenWhenReplacedAndZeroedWhenRemoved()
    {
        using var netns = NetworkNamespace.Create();
        using var device = WgSharpPeer.Start(netns);
        var peerKey = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
        var psk1 = KeyGenerator.GeneratePresharedKey();
        var psk2 = KeyGenerator.GeneratePresharedKey();
        device.SetPeer(peerKey, "10.9.0.2/32", presharedKey: psk1);
        var peer = device.PeerFor(peerKey);
        var stored = peer.Protocol.Handshake.PresharedKey; // the one buffer the handshake reads
        Assert.True(stored.SequenceEqual(psk1.AsSpan()));

        device.SetPeer(peerKey, "10.9.0.2/32", presharedKey: psk2);
        Assert.True(stored.SequenceEqual(psk2.AsSpan())); // replaced in place: psk1 is gone
        device.Wg(["set", device.InterfaceName, "peer", peerKey.ToBase64(), "preshared-key", "/dev/null"]);
        Assert.True(IsAllZero(stored));
        Assert.Null(peer.PresharedKey);

        device.SetPeer(peerKey, "10.9.0.2/32", presharedKey: psk1);
        stored = peer.Protocol.Handshake.PresharedKey; // a key set again may get another slot of the arena
        Assert.True(stored.SequenceEqual(psk1.AsSpan()));
        device.Wg(["set", device.InterfaceName, "peer", peerKey.ToBase64(), "remove"]);
        Assert.True(IsAllZero(stored));
        Assert.True(IsAllZero(peer.Protocol.Handshake.PrecomputedStaticStatic));
        Assert.Null(peer.PresharedKey); // the device's copy (for `wg show`) is dropped too
    }

    [Fact]
    public void SessionKeysAreZeroedOnPeerRemovalAndPrivateKeyChangeAndThePrivateKeyOnRemoval()
    {
        using var net = new TwoNamespaces();
        var (a, b) = DeviceTunnelTests.ConnectPair(net, outerIPv6: false, psk: KeyGenerator.GeneratePresharedKey());
        using (a)
        using (b)
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Log.Text);
            var atA = a.PeerFor(b.PublicKey).Protocol.Keypairs.Current!;
            var atB = b.PeerFor(a.PublicKey).Protocol.Keypairs.Current!;
            Assert.False(atA.IsZeroed || atB.IsZeroed);

            // A new private key on A: every session bound to the old identity is wiped.
            var newKey = KeyGenerator.GeneratePrivateKey();
            a.Wg(["set", a.InterfaceName, "private-key", KeyFile("new.key", newKey, UnixFileMode.UserRead)]);
            Assert.True(atA.IsZeroed);
            var identity = a.Device.Engine.Identity.Keys!;
            Assert.True(identity.IsPrivateKey(newKey));

            // Removing the peer on B wipes B's session with it.
            b.Wg(["set", b.InterfaceName, "peer", a.PublicKey.ToBase64(), "remove"]);
            Assert.True(atB.IsZeroed);

            // Removing A's private key leaves no copy of it in the identity's storage.
            a.Wg(["set", a.InterfaceName, "private-key", "/dev/null"]);
            Assert.Null(a.Device.Engine.Identity.Keys);
            Assert.True(IsAllZero(identity.PrivateKey)); // the replaced key pair's pinned buffer is wiped
        }
    }

    [Fact]
    public void DebugLogsOfAHandshakeAndTrafficContainNoPrivateOrPresharedKey()
    {
        using var net = new TwoNamespaces();
        var psk = KeyGenerator.GeneratePresharedKey();
        var (a, b) = DeviceTunnelTests.ConnectPair(net, outerIPv6: false, psk: psk);
        using (a)
        using (b)
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Log.Text);
            Assert.True(TcpTransfer.Run(net.B, InnerB4, net.A, 1 << 20, TimeSpan.FromSeconds(30)).HashMatches);
            a.Wg(["show", a.InterfaceName]);
            a.Wg(["showconf", a.InterfaceName]); // the one place a private key may go out: to root over the socket, not to the log
            var log = a.Log.Text + b.Log.Text;
            Assert.Contains("handshake", log, StringComparison.OrdinalIgnoreCase); // debug logging really ran
            foreach (var secret in new[] { a.PrivateKey, b.PrivateKey, psk })
            {
                foreach (var text in new[] { secret.ToBase64(), Convert.ToHexStringLower(secret.AsSpan()), Convert.ToHexString(secret.AsSpan()) })
                    Assert.DoesNotContain(text, log, StringComparison.Ordinal);
                // Also no long fragment of it (a truncated key in a log is still a leak).
                Assert.DoesNotContain(secret.ToBase64()[..16], log, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ControlSocketIsOwnerOnlyAndRefusesOtherUsers()
    {
        using var netns = NetworkNamespace.Create();
        using var device = WgSharpPeer.Start(netns);
        var socket = Path.Combine(WgSharpDaemon.SocketDirectory, device.InterfaceName + ".sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        var asNobody = CommandRunner.Run("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "wg", "show", device.InterfaceName, "private-key"]);
        Assert.NotEqual(0, asNobody.ExitCode);
        Assert.Contains("Permission denied", asNobody.StandardError);
        Assert.DoesNotContain(device.PrivateKey.ToBase64(), asNobody.StandardOutput + asNobody.StandardError);
        // root still gets in
        Assert.Equal(0, CommandRunner.Run("wg", "show", device.InterfaceName, "private-key").ExitCode);
    }

    /// <summary>
    /// What wg(8) does, measured: `wg set IF private-key FILE` applies a world-readable key file silently,
    /// while `wg genkey` writing into a world-accessible file warns on stderr (and wg-quick warns about a
    /// world-accessible config). `wgsharp set` / `wgsharp genkey` must match that.
    /// </summary>
    [Fact]
    public void WorldReadableKeyFilesAreTreatedAsWgTreatsThem()
    {
        using var netns = NetworkNamespace.Create();
        using var device = WgSharpPeer.Start(netns);
        var worldReadable = (UnixFileMode)Convert.ToInt32("644", 8);
        var exposed = KeyFile("exposed.key", KeyGenerator.GeneratePrivateKey(), worldReadable);

        var wgSet = CommandRunner.Run("wg", "set", device.InterfaceName, "private-key", exposed);
        Assert.Equal(0, wgSet.ExitCode);
        Assert.DoesNotContain("Warning", wgSet.StandardError);
        var wgGenkey = GenkeyInto("wg", [], Path.Combine(_directory, "wg-genkey.out"));
        Assert.Contains("Warning: writing to world accessible file.", wgGenkey.StandardError);

        var dll = DaemonProcess.EntryAssembly;
        var ourSet = CommandRunner.Run("dotnet", dll, "set", device.InterfaceName, "private-key", exposed);
        var ourGenkey = GenkeyInto("dotnet", [dll], Path.Combine(_directory, "wgsharp-genkey.out"));
        foreach (var (ours, theirs) in new[] { (ourSet, wgSet), (ourGenkey, wgGenkey) })
        {
            Assert.Equal(theirs.ExitCode, ours.ExitCode);
            Assert.Equal(theirs.StandardError.Contains("world accessible", StringComparison.Ordinal),
                ours.StandardError.Contains("world accessible", StringComparison.Ordinal));
        }
    }

    /// <summary>Runs a genkey command with stdout redirected into a new file created 0644 (umask 022).</summary>
    private static CommandResult GenkeyInto(string program, string[] prefix, string path) =>
        CommandRunner.Run("sh", ["-c", "umask 022; exec \"$0\" \"$@\" genkey > \"$OUT\"".Replace("$OUT", path, StringComparison.Ordinal), program, .. prefix]);

    [Fact]
    public void ArenaSlotsAreZeroedWhenReturnedAndTheArenaHasALimit()
    {
        var arena = new SecretArena(maxSlots: 3);
        var slots = Enumerable.Range(0, 3).Select(_ => arena.Rent()).ToArray();
        foreach (var slot in slots) Assert.True(IsAllZero(slot.Span));
        for (int i = 0; i < slots.Length; i++) slots[i].Span.Fill((byte)(i + 1));
        Assert.Throws<InvalidOperationException>(() => arena.Rent()); // the limit: a client cannot make us lock more

        arena.Return(slots[1]);
        Assert.True(IsAllZero(slots[1].Span)); // zeroed on return, even through a span someone kept
        Assert.Equal(2, arena.InUse);
        var again = arena.Rent();
        Assert.True(IsAllZero(again.Span));
        Assert.True(slots[0].Span.IndexOfAnyExcept((byte)1) < 0); // its neighbours untouched
        Assert.True(slots[2].Span.IndexOfAnyExcept((byte)3) < 0);
    }

    [Fact]
    public unsafe void ThousandsOfArenaSecretsShareAFewNoDumpMappings()
    {
        var arena = new SecretArena(maxSlots: 10_000);
        var slots = Enumerable.Range(0, 5000).Select(_ => arena.Rent()).ToArray();
        var mappings = new HashSet<string>();
        var smaps = File.ReadAllLines("/proc/self/smaps");
        foreach (var slot in slots)
        {
            ulong address;
            fixed (byte* p = slot.Span) address = (ulong)p;
            mappings.Add(MappingOf(smaps, address));
        }
        Assert.InRange(mappings.Count, 1, 3); // 5,000 keys in 64 KiB chunks: 3 chunks, each its own mapping at most
        foreach (var flags in mappings) Assert.Contains(" dd", flags, StringComparison.Ordinal);
        foreach (var slot in slots) arena.Return(slot);
    }

    /// <summary>The VmFlags line of the mapping that holds ADDRESS, prefixed with its range (so equal flags of two mappings differ).</summary>
    private static string MappingOf(string[] smaps, ulong address)
    {
        for (int i = 0; i < smaps.Length; i++)
        {
            var words = smaps[i].Split(' ', 2);
            var range = words[0].Split('-');
            if (range.Length != 2 || !ulong.TryParse(range[0], System.Globalization.NumberStyles.HexNumber, null, out ulong start) ||
                !ulong.TryParse(range[1], System.Globalization.NumberStyles.HexNumber, null, out ulong end) || address < start || address >= end) continue;
            for (int j = i + 1; j < smaps.Length; j++)
                if (smaps[j].StartsWith("VmFlags:", StringComparison.Ordinal)) return words[0] + " " + smaps[j] + " ";
        }
        throw new Xunit.Sdk.XunitException($"no mapping holds 0x{address:x}");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
