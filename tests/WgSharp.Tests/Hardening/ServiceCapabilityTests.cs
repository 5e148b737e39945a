using System.Diagnostics;
using System.Globalization;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Hardening;

/// <summary>
/// Issue 21, finding 5: a daemon started by root with every capability keeps only CAP_NET_ADMIN, CAP_NET_BIND_SERVICE
/// and CAP_SYS_ADMIN (routing domains), on every thread and in its bounding set, with no_new_privs, whether started
/// in the foreground (systemd's way) or detached; and it still works (configured after the drop).
/// Issue 21 round 2: it narrows its threads in place, without executing itself a second time (which cost 12 ms of start).
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class ServiceCapabilityTests : IDisposable
{
    private const ulong Kept = (1UL << 10) | (1UL << 12) | (1UL << 21);
    private readonly string _name = TestNames.NewInterface();

    public ServiceCapabilityTests() => WgSharpCli.CleanUp([_name], []);

    public void Dispose() => WgSharpCli.CleanUp([_name], []);

    [Fact]
    public void AForegroundDaemonKeepsOnlyTheCapabilitiesItNeedsOnEveryThread()
    {
        using var daemon = new ForegroundDaemon(_name);
        AssertDropped(DaemonPid("-f"));
        WgSharpCli.Ok(_name, "wgport", "0", "10.233.0.1/24", "up"); // still configurable with what it kept
        Assert.Contains("10.233.0.1", WgSharpCli.Ok(_name).StandardOutput);
    }

    [Fact]
    public void ADetachedDaemonKeepsOnlyTheCapabilitiesItNeeds()
    {
        WgSharpCli.Ok(_name, "create");
        AssertDropped(DaemonPid("--foreground"));
    }

    [Fact]
    public void TheDaemonNarrowsItsThreadsWithoutExecutingItselfAgain()
    {
        var trace = Path.Combine(Path.GetTempPath(), $"wgsn-execve-{_name}.txt");
        var (program, prefix) = WgSharpCli.Command;
        var start = new ProcessStartInfo("strace") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in (string[])["-f", "-qq", "-e", "trace=execve", "-o", trace, program, .. prefix, "-f", _name]) start.ArgumentList.Add(word);
        using var strace = Process.Start(start)!;
        strace.OutputDataReceived += (_, _) => { }; // drained, so a full pipe never blocks the daemon
        strace.ErrorDataReceived += (_, _) => { };
        strace.BeginOutputReadLine();
        strace.BeginErrorReadLine();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!WgSharpCli.IsServing(_name))
            {
                if (strace.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                    throw new Xunit.Sdk.XunitException("the daemon did not start under strace");
                Thread.Sleep(20);
            }
            AssertDropped(DaemonPid("-f"));
        }
        finally
        {
            strace.Kill(entireProcessTree: true);
            strace.WaitForExit();
        }
        // The one exec that started it: the daemon's own command line is never executed again.
        var daemonExecs = File.ReadAllLines(trace).Where(l => l.Contains("execve(", StringComparison.Ordinal) && l.Contains($"\"-f\", \"{_name}\"]", StringComparison.Ordinal)).ToList();
        File.Delete(trace);
        Assert.True(daemonExecs.Count == 1, string.Join("\n", daemonExecs));
    }

    private static void AssertDropped(int pid)
    {
        var threads = Directory.GetDirectories($"/proc/{pid}/task");
        Assert.True(threads.Length > 1, "expected the runtime's threads");
        int read = 0;
        foreach (var thread in threads)
        {
            string[] status;
            // A thread may end between the listing and the read (the runtime's short-lived workers): skip it.
            try { status = File.ReadAllLines(Path.Combine(thread, "status")); }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException) { continue; }
            catch (IOException) when (!Directory.Exists(thread)) { continue; }
            read++;
            ulong effective = Field(status, "CapEff"), bounding = Field(status, "CapBnd"), permitted = Field(status, "CapPrm");
            Assert.True((effective & (1UL << 12)) != 0, $"{thread}: CAP_NET_ADMIN lost");
            Assert.Equal(0UL, effective & ~Kept);
            Assert.Equal(0UL, permitted & ~Kept);
            Assert.Equal(0UL, bounding & ~Kept);
            Assert.Equal(0UL, Field(status, "CapAmb"));
            Assert.Equal(1UL, Field(status, "NoNewPrivs"));
        }
        Assert.True(read > 1, "expected the runtime's threads");
    }

    private static ulong Field(string[] status, string name)
    {
        string line = status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        var style = name == "NoNewPrivs" ? NumberStyles.None : NumberStyles.AllowHexSpecifier;
        return ulong.Parse(line[(name.Length + 1)..].Trim(), style, CultureInfo.InvariantCulture);
    }

    /// <summary>The process whose command line ends with FLAG IFNAME (the daemon; a launcher has exited by now).</summary>
    private int DaemonPid(string flag)
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid)) continue;
            string[] words;
            try { words = File.ReadAllText(Path.Combine(directory, "cmdline")).TrimEnd('\0').Split('\0'); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (words.Length >= 2 && words[^2] == flag && words[^1] == _name && !words[0].EndsWith("strace", StringComparison.Ordinal)) return pid;
        }
        throw new Xunit.Sdk.XunitException($"no daemon process for {_name}");
    }
}
