using WgSharp.Cli.Daemon;
using System.Diagnostics;
using System.Net;
using WgSharp.Device;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 4: tens of thousands of forged initiations per second at B's listen port. B must switch to cookie
/// replies, a legitimate peer must still get a session (retrying with mac2) and its traffic go on, memory must
/// stay bounded, and once the flood stops handshakes go through without cookies again.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class HandshakeFloodTests(ITestOutputHelper output)
{
    private const string FlooderAddress = "192.0.2.77";
    private const int Rate = 40_000; // forged initiations per second
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(LongRun.Pick(6, 120));

    [Fact]
    public void FloodOfForgedInitiationsTriggersCookiesWhileALegitimatePeerKeepsWorking()
    {
        using var net = new TwoNamespaces();
        // A's time runs 5x faster so its handshake retry (5 s) comes after 1 s: the flood window stays short.
        using var a = WgSharpPeer.Start(net.A, new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(5) });
        using var b = WgSharpPeer.Start(net.B, new DeviceOptions { Debug = false });
        a.SetPeer(b.PublicKey, $"{InnerB4}/32", $"{OuterB4}:{b.ListenPort}");
        b.SetPeer(a.PublicKey, $"{InnerA4}/32", $"{OuterA4}:{a.ListenPort}");
        a.AddAddressAndUp($"{InnerA4}/24");
        b.AddAddressAndUp($"{InnerB4}/24");
        net.A.Ip("addr", "add", FlooderAddress + "/24", "dev", net.Link.InterfaceA);
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Log.Text);

        using var self = Process.GetCurrentProcess();
        GC.Collect();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = ProcessSample.Of(Environment.ProcessId).RssKilobytes;
        var cpuBefore = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long peakRss = rssBefore;
        var cookies0 = b.Device.Counters[Counter.CookieRepliesSent];

        using (var flooder = new HandshakeFlooder(net.A, new IPEndPoint(IPAddress.Parse(FlooderAddress), 0),
                   new IPEndPoint(IPAddress.Parse(OuterB4), b.ListenPort), b.PublicKey, Rate))
        {
            // B switches to cookie replies.
            Assert.True(SpinUntil(() => b.Device.Counters[Counter.CookieRepliesSent] > cookies0, TimeSpan.FromSeconds(5)), b.Device.Counters.ToString());
            // The established session keeps carrying traffic (the data path does not wait on handshakes).
            Assert.True(NetworkChecks.Ping(net.A, InnerB4, count: 3, waitSeconds: 2), b.Device.Counters.ToString());

            // New handshakes in the middle of the flood: A forgets its session and must handshake again, each
            // time successfully; B is under load nearly all the time, so (within three tries) one of them is
            // answered with a cookie and completes by retrying with mac2.
            for (int attempt = 0; attempt < 3 && a.Log.Matching("Receiving cookie response").Count == 0; attempt++)
            {
                a.Wg(["set", a.InterfaceName, "peer", b.PublicKey.ToBase64(), "remove"]);
                a.SetPeer(b.PublicKey, $"{InnerB4}/32", $"{OuterB4}:{b.ListenPort}");
                Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(20)), b.Device.Counters + "\n" + a.Log.Text);
            }
            Assert.NotEmpty(a.Log.Matching("Receiving cookie response"));
            Assert.True(TcpTransfer.Run(net.B, InnerB4, net.A, 2 << 20, TimeSpan.FromSeconds(30)).HashMatches);

            while (wall.Elapsed < FloodTime)
            {
                peakRss = Math.Max(peakRss, ProcessSample.Of(Environment.ProcessId).RssKilobytes);
                Thread.Sleep(200);
            }
            output.WriteLine($"flood: {flooder.Sent} initiations in {wall.Elapsed.TotalSeconds:F1} s ({flooder.Sent / wall.Elapsed.TotalSeconds:F0}/s)");
        }
        var cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds / wall.Elapsed.TotalSeconds;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var counters = b.Device.Counters;
        output.WriteLine($"B: {counters}");
        output.WriteLine($"test process: cpu {cpu:F2} cores, rss {rssBefore / 1024} -> peak {peakRss / 1024} MiB, gc heap {heapBefore >> 20} -> {heapAfter >> 20} MiB");

        // One address gets its budget of cookie replies (20/s), not one per forgery: the rest are dropped cheaply.
        Assert.True(counters[Counter.CookieRepliesSent] - cookies0 > 0, counters.ToString());
        Assert.True(counters[Counter.HandshakeRateLimited] > 1000, counters.ToString());
        Assert.True(counters[Counter.HandshakeRejected] > 1000, counters.ToString()); // garbage without a valid mac1
        // Bounded: the queue is bounded and messages are pooled, so a flood must not grow memory.
        Assert.True(peakRss - rssBefore < 150 * 1024, $"rss grew by {(peakRss - rssBefore) / 1024} MiB");
        Assert.True(heapAfter - heapBefore < 50L << 20, $"gc heap grew by {(heapAfter - heapBefore) >> 20} MiB");

        // The flood is over: after the load has drained, a fresh handshake needs no cookie.
        Thread.Sleep(1500);
        var cookiesAfterFlood = b.Device.Counters[Counter.CookieRepliesSent];
        var cookieResponsesAtA = a.Log.Matching("Receiving cookie response").Count;
        a.Wg(["set", a.InterfaceName, "peer", b.PublicKey.ToBase64(), "remove"]);
        a.SetPeer(b.PublicKey, $"{InnerB4}/32", $"{OuterB4}:{b.ListenPort}");
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(10)), a.Log.Text);
        Assert.Equal(cookiesAfterFlood, b.Device.Counters[Counter.CookieRepliesSent]);
        Assert.Equal(cookieResponsesAtA, a.Log.Matching("Receiving cookie response").Count);
    }

    /// <summary>
    /// Issue 11: one address floods initiations with a valid mac1 as fast as one core can send; with
    /// answerCookies it also answers the cookie replies, so its initiations carry a valid mac2 and pass the
    /// cookie defence. A legitimate peer at another address, configured during the flood, must still complete
    /// its first handshake within 7 s (one cookie round trip, then its retry after REKEY_TIMEOUT with mac2).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ALegitimatePeersFirstHandshakeCompletesWithinSevenSecondsWhileOneAddressFloods(bool answerCookies)
    {
        using var net = new TwoNamespaces();
        using var a = WgSharpPeer.Start(net.A, new DeviceOptions { Debug = true });
        using var b = WgSharpPeer.Start(net.B, new DeviceOptions { Debug = false });
        b.SetPeer(a.PublicKey, $"{InnerA4}/32");
        a.AddAddressAndUp($"{InnerA4}/24");
        b.AddAddressAndUp($"{InnerB4}/24");
        net.A.Ip("addr", "add", FlooderAddress + "/24", "dev", net.Link.InterfaceA);

        var counters = b.Device.Counters;
        using var flooder = new ValidMacFlooder(net.A, new IPEndPoint(IPAddress.Parse(FlooderAddress), 0),
            new IPEndPoint(IPAddress.Parse(OuterB4), b.ListenPort), b.PublicKey, answerCookies);
        Assert.True(SpinUntil(() => counters[Counter.CookieRepliesSent] > 0, TimeSpan.FromSeconds(10)), counters.ToString());
        if (answerCookies)
            Assert.True(SpinUntil(() => counters[Counter.HandshakeRateLimited] > 0, TimeSpan.FromSeconds(10)), counters.ToString());

        a.SetPeer(b.PublicKey, $"{InnerB4}/32", $"{OuterB4}:{b.ListenPort}");
        using var trigger = net.A.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp));
        var before = (HandshakeRateLimited: counters[Counter.HandshakeRateLimited], CookieRepliesSent: counters[Counter.CookieRepliesSent],
            HandshakeQueueFull: counters[Counter.HandshakeQueueFull], flooder.Sent);
        // Timed from the first packet for B (it starts the handshake), without the cost of starting a process.
        var clock = Stopwatch.StartNew();
        trigger.SendTo(new byte[8], new IPEndPoint(IPAddress.Parse(InnerB4), 9));
        bool established = SpinUntil(() => a.PeerFor(b.PublicKey).Protocol.Keypairs.Current is not null, TimeSpan.FromSeconds(20));
        var took = clock.Elapsed;
        var flooded = flooder.Sent - before.Sent;

        output.WriteLine($"flood ({(answerCookies ? "valid mac1 and mac2, cookies answered" : "valid mac1 only")}): " +
            $"{flooded / took.TotalSeconds:F0} initiations/s from one address, {flooder.CookiesTaken} cookies taken");
        output.WriteLine($"legitimate first handshake: {(established ? $"{took.TotalSeconds:F1} s" : "not within 20 s")}");
        output.WriteLine($"during it at B: rate-limited {counters[Counter.HandshakeRateLimited] - before.HandshakeRateLimited}, " +
            $"cookie replies {counters[Counter.CookieRepliesSent] - before.CookieRepliesSent}, queue full {counters[Counter.HandshakeQueueFull] - before.HandshakeQueueFull}");
        output.WriteLine($"B: {counters}");
        Assert.True(established, counters + "\n" + a.Log.Text);
        Assert.True(took < TimeSpan.FromSeconds(7), $"the legitimate handshake took {took.TotalSeconds:F1} s; {counters}");
        if (answerCookies) Assert.True(counters[Counter.HandshakeRateLimited] - before.HandshakeRateLimited > 0, counters.ToString());
        Assert.True(NetworkChecks.Ping(net.A, InnerB4, count: 2, waitSeconds: 2), counters.ToString());
    }

    private static bool SpinUntil(Func<bool> condition, TimeSpan timeout)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < timeout; Thread.Sleep(20))
            if (condition()) return true;
        return condition();
    }
}
