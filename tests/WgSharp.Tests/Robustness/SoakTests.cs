using WgSharp.Cli.Daemon;
using System.Diagnostics;
using WgSharp.Device;
using WgSharp.Keys;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 6: continuous traffic through the real daemon with time running 40x faster (a rekey every
/// 3 s, sessions expiring every 4.5 s); its RSS, descriptors and threads must stay flat. CI runs 45 s;
/// bench/soak.sh runs 10 minutes (WGSHARP_LONG=1) with the same assertions.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class SoakTests(ITestOutputHelper output)
{
    private const double TimeScale = 40;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(LongRun.Pick(45, 600));

    [Fact]
    public void TrafficWithRekeysEveryFewSecondsKeepsMemoryDescriptorsAndThreadsFlat()
    {
        using var net = new TwoNamespaces();
        using var b = WgSharpPeer.Start(net.B, new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(TimeScale) });
        var keyA = KeyGenerator.GeneratePrivateKey();
        var keyFile = Path.GetTempFileName();
        File.WriteAllText(keyFile, keyA.ToBase64());
        using var a = WgSharpDaemon.Start(net.A, TestNames.NewInterface(), TimeScale, debug: false);
        a.Wg("set", a.InterfaceName, "private-key", keyFile, "peer", b.PublicKey.ToBase64(),
            "allowed-ips", $"{InnerB4}/32", "endpoint", $"{OuterB4}:{b.ListenPort}");
        File.Delete(keyFile);
        a.AddAddressAndUp($"{InnerA4}/24");
        b.SetPeer(KeyGenerator.DerivePublicKey(keyA), $"{InnerA4}/32");
        b.AddAddressAndUp($"{InnerB4}/24");
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Output);

        var samples = new List<(TimeSpan At, ProcessSample Sample)>();
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        int transfers = 0;
        var nextSample = TimeSpan.Zero;
        while (clock.Elapsed < Duration)
        {
            // Alternate directions; every transfer is checked end to end.
            var (server, address, client) = transfers % 2 == 0 ? (net.B, InnerB4, net.A) : (net.A, InnerA4, net.B);
            var result = TcpTransfer.Run(server, address, client, 8 << 20, TimeSpan.FromSeconds(60), seed: transfers);
            Assert.True(result.HashMatches, $"transfer {transfers} corrupted\n{a.Output}");
            bytes += result.Bytes;
            transfers++;
            if (clock.Elapsed >= nextSample)
            {
                samples.Add((clock.Elapsed, a.Sample()));
                nextSample = clock.Elapsed + TimeSpan.FromSeconds(2);
            }
        }
        samples.Add((clock.Elapsed, a.Sample()));
        var handshakes = b.Log.Matching("Receiving handshake initiation").Count + b.Log.Matching("Receiving handshake response").Count;
        output.WriteLine($"{transfers} transfers, {bytes >> 20} MiB in {clock.Elapsed.TotalSeconds:F0} s, {handshakes} handshakes seen by B");
        foreach (var (at, sample) in samples) output.WriteLine($"  {at.TotalSeconds,5:F0} s  {sample}");
        output.WriteLine($"B: {b.Device.Counters}");

        // Rekeys really happened all along (one per 3 s of protocol-scaled time, give or take).
        Assert.True(handshakes >= Duration.TotalSeconds / 6, $"only {handshakes} handshakes");
        Assert.False(a.HasExited, a.Output);
        // Flat after warm-up (the first quarter lets the JIT and the GC settle): compare the last quarter with the second.
        var warm = samples.Where(s => s.At >= Duration / 4).Select(s => s.Sample).ToList();
        Assert.True(warm.Count >= 4, "too few samples");
        var early = warm.Take(warm.Count / 2).ToList();
        var late = warm.Skip(warm.Count / 2).ToList();
        long earlyRss = early.Max(s => s.RssKilobytes), lateRss = late.Max(s => s.RssKilobytes);
        Assert.True(lateRss <= earlyRss + 32 * 1024 + earlyRss / 5, $"RSS grew {earlyRss / 1024} -> {lateRss / 1024} MiB");
        Assert.True(late.Max(s => s.FileDescriptors) <= early.Min(s => s.FileDescriptors) + 2, "descriptor leak");
        Assert.True(late.Max(s => s.Threads) <= early.Max(s => s.Threads) + 4, "thread leak");
    }
}
