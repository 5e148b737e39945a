using WgSharp.Cli.Daemon;
using WgSharp.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>Bullet 1: a tunnel over a relay that loses, reorders, duplicates and delays datagrams.</summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class LossyNetworkTests(ITestOutputHelper output)
{
    /// <summary>CI moves the full 100 MiB (about 25 s at these fault rates); WGSHARP_LONG=1 moves 1 GiB.</summary>
    private static readonly long TransferBytes = LongRun.Pick(100L, 1024L) * 1024 * 1024;

    [Fact]
    public void TcpTransferSurvivesLossReorderingDuplicationAndDelayWithIdenticalChecksum()
    {
        var faults = new UdpFaults
        {
            DropRate = 0.05, ReorderRate = 0.05, DuplicateRate = 0.01,
            Delay = TimeSpan.FromMilliseconds(20), ReorderDelay = TimeSpan.FromMilliseconds(30), Seed = 7,
        };
        using var pair = new RelayedPair(faults);
        Assert.True(NetworkChecks.WaitForPing(pair.Net.A, InnerB4, TimeSpan.FromSeconds(30)), pair.Describe());

        var result = TcpTransfer.Run(pair.Net.B, InnerB4, pair.Net.A, TransferBytes, TimeSpan.FromSeconds(LongRun.Pick(120, 1500)));
        output.WriteLine($"{result.Bytes} bytes in {result.Elapsed.TotalSeconds:F1} s = {result.MegabitsPerSecond:F2} Mbit/s");
        output.WriteLine(pair.Describe());
        Assert.Equal(TransferBytes, result.Bytes);
        Assert.True(result.HashMatches);
        // The faults really happened, and the duplicates the relay made were refused as replays.
        Assert.True(pair.Relay.Dropped > 100 && pair.Relay.Duplicated > 10 && pair.Relay.Reordered > 100, pair.Describe());
        Assert.True(pair.A.Device.Counters[Counter.Replayed] + pair.B.Device.Counters[Counter.Replayed] > 0, pair.Describe());
        Assert.Equal(0, pair.A.Device.Counters[Counter.DecryptFailed] + pair.B.Device.Counters[Counter.DecryptFailed]);
        pair.AssertEndpointsOnRelay();
    }

    [Fact]
    public void HandshakeCompletesUnderThirtyPercentLoss()
    {
        // Time runs 5x faster so the 5 s retry interval is 1 s: a few lost attempts cost seconds, not half a minute.
        var options = new DeviceOptions { Debug = true, TimeProvider = new ScaledTimeProvider(5) };
        using var pair = new RelayedPair(new UdpFaults { DropRate = 0.30, Seed = 3 }, options);
        Assert.True(NetworkChecks.WaitForPing(pair.Net.A, InnerB4, TimeSpan.FromSeconds(40)), pair.Describe() + "\n" + pair.A.Log.Text);
        Assert.NotNull(pair.A.PeerFor(pair.B.PublicKey).Protocol.Keypairs.Current);
        // With a 30% loss each way, ping until a few replies came back (the data path works, not just one lucky packet).
        int answered = 0;
        for (int i = 0; i < 30 && answered < 5; i++)
            if (NetworkChecks.Ping(pair.Net.A, InnerB4, count: 1, waitSeconds: 1)) answered++;
        output.WriteLine($"answered {answered}\n{pair.Describe()}");
        Assert.True(answered >= 5, pair.Describe());
        Assert.True(pair.Relay.Dropped > 0);
        pair.AssertEndpointsOnRelay();
    }
}
