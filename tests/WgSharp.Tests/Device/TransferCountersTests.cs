using WgSharp.Tests.Integration.Infrastructure;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Device;

/// <summary>
/// What one end counts as sent, the other counts as received, handshake messages included (as
/// wireguard-go and the kernel count them), so `wg show` on both ends agrees once traffic settles.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class TransferCountersTests
{
    [Fact]
    public void EachEndReceivesExactlyTheBytesTheOtherSentHandshakeIncluded()
    {
        using var net = new TwoNamespaces();
        var (a, b) = DeviceTunnelTests.ConnectPair(net, outerIPv6: false, psk: null);
        using (a)
        using (b)
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(15)), a.Log.Text);
            var aToB = a.PeerFor(b.PublicKey);
            var bToA = b.PeerFor(a.PublicKey);
            bool Agree() => aToB.TxBytes == bToA.RxBytes && bToA.TxBytes == aToB.RxBytes;
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(10) && !Agree();)
                Thread.Sleep(50);
            Assert.True(Agree(), $"A sent {aToB.TxBytes} and received {aToB.RxBytes}; B sent {bToA.TxBytes} and received {bToA.RxBytes}");
        }
    }
}
