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
/// image, after a setconf of 1,100 peers, a completed handshake, a key rotation and an initiation answered with
/// the rotated key, holds none of the private or preshared keys' bytes.
/// Issue 21 finding 1: nor does it hold the private or preshared key as text (hex either case, base64; UTF-8 or
/// UTF-16) after gets, `wg show all dump` loops, showconf and a key rotation: the UAPI never makes key text a string.
/// </summary>
[Collection(NetnsCollection.Name)]
[SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class CoreImageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsn-core-").FullName;

    [Fact]
    public void TheDaemonIsNonDumpableAndItsCoreImageHoldsNoPrivateKey()
    {
        var privateKey = KeyGenerator.ClampPrivateKey(KeyGenerator.GeneratePrivateKey());
        var presharedKey = KeyGenerator.GeneratePrivateKey();
        var rotatedKey = KeyGenerator.ClampPrivateKey(KeyGenerator.GeneratePrivateKey());
        using var net = new TwoNamespaces();
        using var b = WgSharpPeer.Start(net.B);
        ushort port = (ushort)Random.Shared.Next(40000, 50000);
        b.SetPeer(KeyGenerator.DerivePublicKey(privateKey), $"{InnerA4}/32", $"{OuterA4}:{port}", presharedKey);
        b.AddAddressAndUp($"{InnerB4}/24");

        using var a = WgSharpDaemon.Start(net.A, TestNames.NewInterface(), debug: false);
        var config = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[Interface]\nPrivateKey = {privateKey.ToBase64()}\nListenPort = {port}\n\n")
            .Append(CultureInfo.InvariantCulture, $"[Peer]\nPublicKey = {b.PublicKey.ToBase64()}\nPresharedKey = {presharedKey.ToBase64()}\nAllowedIPs = {InnerB4}/32\nEndpoint = {OuterB4}:{b.ListenPort}\n\n");
        for (int i = 0; i < 1099; i++)
            config.Append(CultureInfo.InvariantCulture,
                $"[Peer]\nPublicKey = {KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64()}\nAllowedIPs = 172.16.{i / 256}.{i % 256}/32\n\n");
        var file = Path.Combine(_directory, "wg.conf");
        File.WriteAllText(file, config.ToString());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        a.Wg("setconf", a.InterfaceName, file);
        a.AddAddressAndUp($"{InnerA4}/24");
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Output);
        var dump = a.Namespace.Exec("wg", "show", a.InterfaceName, "dump").StandardOutput;
        Assert.Equal(1 + 1100, dump.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // the interface line, then one per peer
        for (int i = 0; i < 5; i++) a.Wg("show", "all", "dump"); // a monitoring loop: each get must add no copy
        a.Wg("showconf", a.InterfaceName);
        // A key rotation: the old key must go, the new one arrive, neither as text.
        var rotatedFile = Path.Combine(_directory, "rotated.key");
        File.WriteAllText(rotatedFile, rotatedKey.ToBase64() + "\n");
        File.SetUnixFileMode(rotatedFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        a.Wg("set", a.InterfaceName, "private-key", rotatedFile);
        a.Wg("showconf", a.InterfaceName);
        a.Wg("show", "all", "dump");
        // B, made to forget its session, initiates again to A's old public key: A's handshake worker computes
        // DH(rotated private key, B's ephemeral) before the initiation fails to decrypt, so the rotated key passes
        // through native X25519 code on a worker's stack, as it does whenever a peer initiates.
        var oldPublicKey = KeyGenerator.DerivePublicKey(privateKey);
        b.Wg(["set", b.InterfaceName, "peer", oldPublicKey.ToBase64(), "remove"]);
        b.SetPeer(oldPublicKey, $"{InnerA4}/32", $"{OuterA4}:{port}", presharedKey);
        Assert.False(NetworkChecks.WaitForPing(net.B, InnerA4, TimeSpan.FromSeconds(3)), "A still answered with its old key");

        var pid = a.ProcessId.ToString(CultureInfo.InvariantCulture);
        var gdb = CommandRunner.Run("gdb", ["-p", pid, "-batch", "-nx", "-ex", "print (int)prctl(3, 0, 0, 0, 0)", "-ex", $"gcore {Path.Combine(_directory, "core")}"],
            TimeSpan.FromMinutes(3));
        Assert.Contains("$1 = 0", gdb.StandardOutput, StringComparison.Ordinal); // PR_GET_DUMPABLE: not dumpable
        var core = Path.Combine(_directory, "core");
        Assert.True(File.Exists(core), gdb.StandardOutput + gdb.StandardError);

        var secrets = new[] { ("old private key", privateKey), ("private key", rotatedKey), ("preshared key", presharedKey) };
        var patterns = secrets.SelectMany(s => TextForms(s.Item2).Select(form => (Name: $"{s.Item1} {form.Name}", form.Bytes))).ToList();
        var found = CountOccurrences(core, [.. secrets.Select(s => s.Item2.ToArray()), .. patterns.Select(p => p.Bytes)]);
        output.WriteLine($"core image: {new FileInfo(core).Length >> 20} MiB");
        for (int i = 0; i < secrets.Length; i++) output.WriteLine($"{secrets[i].Item1} as raw bytes: {found[i]}");
        // Where each raw copy lives, dumped or not: a failure then names the mapping to look at.
        foreach (var line in LiveCopies.Find(a.ProcessId, secrets.Select(s => (s.Item1, s.Item2.ToArray())))) output.WriteLine(line);
        for (int i = 0; i < patterns.Count; i++) output.WriteLine($"{patterns[i].Name}: {found[secrets.Length + i]}");
        // Each key's one place is locked and excluded from dumps (the private key's pinned array, the preshared key's
        // arena slot), and no transient copy (UAPI buffers, stack frames of parsing, applying or X25519) is left of
        // any key. The update and status objects that carry keys between the UAPI and the device keep them in arena
        // slots too: a Key? field on the GC heap, moved by a collection (1,100 peers allocate enough to trigger
        // several), left its old copy in freed memory that nothing zeroes (the preshared key once, 1 run in 4).
        Assert.Equal(0, found[0]);
        Assert.Equal(0, found[1]);
        Assert.Equal(0, found[2]);
        var asText = patterns.Select((p, i) => (p.Name, Count: found[secrets.Length + i])).Where(p => p.Count > 0).ToList();
        Assert.True(asText.Count == 0, "key text in the core image: " + string.Join(", ", asText.Select(p => $"{p.Name} x{p.Count}")));
    }

    /// <summary>Every way a key could be spelled in memory: hex (both cases) and base64, as UTF-8 and as UTF-16.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> TextForms(Key key)
    {
        foreach (var (name, text) in new[] { ("hex", key.ToHex()), ("HEX", key.ToHex().ToUpperInvariant()), ("base64", key.ToBase64()) })
        {
            yield return (name + " UTF-8", Encoding.UTF8.GetBytes(text));
            yield return (name + " UTF-16", Encoding.Unicode.GetBytes(text));
        }
    }

    /// <summary>How often each pattern occurs in the file, read once in 4 MiB windows.</summary>
    private static int[] CountOccurrences(string path, byte[][] patterns)
    {
        int longest = patterns.Max(p => p.Length);
        var counts = new int[patterns.Length];
        using var stream = File.OpenRead(path);
        var buffer = new byte[(4 << 20) + longest];
        int carried = 0, read;
        while ((read = stream.Read(buffer, carried, buffer.Length - carried)) > 0)
        {
            var window = buffer.AsSpan(0, carried + read);
            for (int p = 0; p < patterns.Length; p++)
            {
                // A match lying wholly in the carried bytes was counted in the previous window: only later ends are new.
                for (int at = 0, found; (found = window[at..].IndexOf(patterns[p])) >= 0; at += found + 1)
                    if (at + found + patterns[p].Length > carried) counts[p]++;
            }
            // Keep the last bytes so a pattern that straddles two reads is still found.
            carried = Math.Min(longest - 1, window.Length);
            window[^carried..].CopyTo(buffer);
        }
        return counts;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>
/// Searches a live process's memory (/proc/PID/mem, as root) for byte patterns and names the mapping of each hit
/// and whether it is excluded from dumps ("dd" in smaps' VmFlags): the core image says how many copies, this says where.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class LiveCopies
{
    public static List<string> Find(int pid, IEnumerable<(string Name, byte[] Bytes)> patterns)
    {
        var list = patterns.ToList();
        var lines = new List<string>();
        using var memory = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        foreach (var mapping in Mappings(pid))
        {
            if (!mapping.Perms.StartsWith('r') || mapping.Path is "[vvar]" or "[vsyscall]" or "[vvar_vclock]") continue;
            var bytes = new byte[mapping.End - mapping.Start];
            int read = 0;
            try
            {
                memory.Seek((long)mapping.Start, SeekOrigin.Begin);
                for (int n; read < bytes.Length && (n = memory.Read(bytes, read, bytes.Length - read)) > 0;) read += n;
            }
            catch (IOException) { continue; }
            foreach (var (name, pattern) in list)
                for (int at = 0, found; (found = bytes.AsSpan(at, read - at).IndexOf(pattern)) >= 0; at += found + 1)
                    lines.Add($"{name} at 0x{mapping.Start + (ulong)(at + found):x}: {mapping.Start:x}-{mapping.End:x} {mapping.Perms} " +
                        $"'{mapping.Path}' {(mapping.Flags.Contains(" dd", StringComparison.Ordinal) ? "not dumped" : "DUMPED")} " +
                        $"{(mapping.Flags.Contains(" lo", StringComparison.Ordinal) ? "locked" : "unlocked")}");
        }
        return lines;
    }

    private sealed record Mapping(ulong Start, ulong End, string Perms, string Path, string Flags);

    private static IEnumerable<Mapping> Mappings(int pid)
    {
        Mapping? current = null;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                if (current is not null) yield return current with { Flags = line["VmFlags:".Length..] + " " };
                current = null;
                continue;
            }
            var words = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 5 || !words[0].Contains('-', StringComparison.Ordinal) || words[0].Contains(':', StringComparison.Ordinal)) continue;
            var range = words[0].Split('-');
            if (!ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start) ||
                !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end)) continue;
            current = new Mapping(start, end, words[1], words.Length > 5 ? words[5].Trim() : "", "");
        }
    }
}
