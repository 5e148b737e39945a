using WgSharp.Device;
using WgSharp.Keys;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Device.TwoNamespaces;

namespace WgSharp.Tests.Robustness;

/// <summary>
/// Bullet 2: side A is the real daemon process, killed with SIGKILL and started again; side B (in-process)
/// is never touched unless the test says so.
/// </summary>
[Collection(NetnsCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public class RestartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("wgsn-keys-").FullName;

    private sealed record Setup(TwoNamespaces Net, WgSharpPeer B, string InterfaceA, ushort PortA) : IDisposable
    {
        public void Dispose()
        {
            B.Dispose();
            Net.Dispose();
        }
    }

    private Setup Prepare(Key privateKeyA)
    {
        var net = new TwoNamespaces();
        var b = WgSharpPeer.Start(net.B);
        var portA = (ushort)Random.Shared.Next(40000, 50000);
        b.SetPeer(KeyGenerator.DerivePublicKey(privateKeyA), $"{InnerA4}/32", $"{OuterA4}:{portA}");
        b.AddAddressAndUp($"{InnerB4}/24");
        return new Setup(net, b, TestNames.NewInterface(), portA);
    }

    /// <summary>Starts A's daemon and configures it through `wg` exactly as an init script would.</summary>
    private WgSharpDaemon StartA(Setup setup, Key privateKey)
    {
        var keyFile = Path.Combine(_keyDirectory, "a.key");
        File.WriteAllText(keyFile, privateKey.ToBase64() + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var a = WgSharpDaemon.Start(setup.Net.A, setup.InterfaceA);
        a.Wg("set", a.InterfaceName, "private-key", keyFile, "listen-port", setup.PortA.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "peer", setup.B.PublicKey.ToBase64(), "allowed-ips", $"{InnerB4}/32", "endpoint", $"{OuterB4}:{setup.B.ListenPort}");
        a.AddAddressAndUp($"{InnerA4}/24");
        return a;
    }

    [Fact]
    public void TrafficResumesAfterKillNineAndRestartWithTheSameConfiguration()
    {
        var keyA = KeyGenerator.GeneratePrivateKey();
        using var setup = Prepare(keyA);
        var net = setup.Net;
        using (var a = StartA(setup, keyA))
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, HandshakeTimeout), a.Output);
            Assert.True(NetworkChecks.Ping(net.B, InnerA4, count: 2));
            a.KillHard();
            Assert.True(File.Exists(a.SocketPath)); // SIGKILL leaves the socket file behind: the restart must cope
            Assert.False(NetworkChecks.Ping(net.B, InnerA4, count: 1, waitSeconds: 1));
        }
        var sessionsBefore = setup.B.Log.Matching("Receiving handshake initiation").Count;
        using (var a = StartA(setup, keyA))
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, HandshakeTimeout), a.Output + setup.B.Log.Text);
            Assert.True(NetworkChecks.Ping(net.B, InnerA4, count: 2));
            Assert.True(TcpTransfer.Run(net.B, InnerB4, net.A, 4 << 20, TimeSpan.FromSeconds(60)).HashMatches);
            // B accepted the restarted A's fresh initiation (a newer timestamp) without any reconfiguration.
            Assert.True(setup.B.Log.Matching("Receiving handshake initiation").Count > sessionsBefore);
            output.WriteLine($"B: {setup.B.Device.Counters}");
        }
    }

    [Fact]
    public void RestartWithANewKeyIsRefusedUntilTheOtherSideIsReconfigured()
    {
        var oldKey = KeyGenerator.GeneratePrivateKey();
        var newKey = KeyGenerator.GeneratePrivateKey();
        using var setup = Prepare(oldKey);
        var net = setup.Net;
        var b = setup.B;
        using (var a = StartA(setup, oldKey))
        {
            Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, HandshakeTimeout), a.Output);
            a.KillHard();
        }
        var oldPeerAtB = b.PeerFor(KeyGenerator.DerivePublicKey(oldKey));
        using var restarted = StartA(setup, newKey);
        var rejectedBefore = b.Device.Counters[Counter.HandshakeRejected];
        var rxBefore = oldPeerAtB.RxBytes;

        // A (new key) initiates: B does not know that key and refuses every attempt.
        Assert.False(NetworkChecks.WaitForPing(net.A, InnerB4, TimeSpan.FromSeconds(6)));
        Assert.True(b.Device.Counters[Counter.HandshakeRejected] > rejectedBefore, b.Device.Counters.ToString());
        Assert.Null(b.Device.FindPeer(KeyGenerator.DerivePublicKey(newKey)));
        // B still sends with the old session: the restarted A has no such session and nothing comes back.
        Assert.False(NetworkChecks.Ping(net.B, InnerA4, count: 2, waitSeconds: 1));
        Assert.Equal(rxBefore, oldPeerAtB.RxBytes);
        Assert.Contains("Invalid handshake initiation", b.Log.Text);

        // Reconfigured for the new key, B accepts it.
        b.Wg(["set", b.InterfaceName, "peer", KeyGenerator.DerivePublicKey(oldKey).ToBase64(), "remove"]);
        b.SetPeer(KeyGenerator.DerivePublicKey(newKey), $"{InnerA4}/32", $"{OuterA4}:{setup.PortA}");
        Assert.True(NetworkChecks.WaitForPing(net.A, InnerB4, HandshakeTimeout), restarted.Output);
        Assert.True(oldPeerAtB.Protocol.Keypairs.Current is null); // the removed peer's sessions are gone
        output.WriteLine($"B: {b.Device.Counters}");
    }

    public void Dispose() => Directory.Delete(_keyDirectory, recursive: true);
}
