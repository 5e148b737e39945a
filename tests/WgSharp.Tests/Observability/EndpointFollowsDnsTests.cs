using WgSharp.Cli.Daemon;
using WgSharp.Keys;
using WgSharp.Linux;
using WgSharp.Tests.BsdCli;
using WgSharp.Tests.Device;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Observability;

/// <summary>
/// An endpoint given as a host name follows DNS: the peer moves to a new address, its name in the daemon's
/// namespace (`ip netns exec`'s /etc/netns/NAME/hosts) changes with it, and once handshakes fail the daemon
/// resolves the name again, switches the endpoint, logs it, and the tunnel comes back.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class EndpointFollowsDnsTests
{
    private const string HostName = "peer-b.wgsharp.test";
    private const string MovedB4 = "192.0.2.3";

    [Fact]
    public void TunnelComesBackAfterThePeerMovesAndItsNameFollows()
    {
        using var net = new TwoNamespaces();
        string a = TestNames.NewInterface(), b = TestNames.NewInterface();
        string hostsDirectory = Path.Combine("/etc/netns", net.A.Name);
        string hosts = Path.Combine(hostsDirectory, "hosts");
        Directory.CreateDirectory(hostsDirectory);
        using var syslog = new FakeSyslog();
        try
        {
            File.WriteAllText(hosts, $"127.0.0.1 localhost\n{TwoNamespaces.OuterB4} {HostName}\n");
            Key keyA = KeyGenerator.GeneratePrivateKey(), keyB = KeyGenerator.GeneratePrivateKey();
            string[] environment = ["WGSHARP_TIME_SCALE=10", "LOG_LEVEL=", $"{SyslogLoggerProvider.SocketVariable}={syslog.Path}"];
            CommandResult Wgsharp(NetworkNamespace ns, params string[] args) => OperatorCli.OkWithEnvironment(ns, environment, args);

            Wgsharp(net.B, b, "create", "wgkey", keyB.ToBase64(), "wgport", "51822",
                "wgpeer", KeyGenerator.DerivePublicKey(keyA).ToBase64(), "wgaip", "10.234.0.1/32");
            Wgsharp(net.B, b, "10.234.0.2/24", "up");
            Wgsharp(net.A, a, "create", "wgkey", keyA.ToBase64(), "wgport", "51821",
                "wgpeer", KeyGenerator.DerivePublicKey(keyB).ToBase64(), "wgendpoint", HostName, "51822", "wgaip", "10.234.0.2/32");
            Wgsharp(net.A, a, "10.234.0.1/24", "up");
            Assert.True(NetworkChecks.WaitForPing(net.A, "10.234.0.2", TimeSpan.FromSeconds(15)), syslog.Text);
            Assert.Contains($"endpoint_host={HostName}:51822\n", GetExtended(a)); // the daemon kept the name

            // B must owe A nothing when it moves: a packet B sent that A did not answer would make B start a
            // handshake from its new address, and A would follow that (roaming wins), not DNS.
            Assert.True(Quiet(a, b), GetExtended(a) + GetExtended(b));

            // B moves; only DNS (the hosts file, rewritten in place: the bind mount holds the inode) says where.
            net.B.Ip("addr", "del", TwoNamespaces.OuterB4 + "/24", "dev", net.Link.InterfaceB);
            net.B.Ip("addr", "add", MovedB4 + "/24", "dev", net.Link.InterfaceB);
            File.WriteAllText(hosts, $"127.0.0.1 localhost\n{MovedB4} {HostName}\n");

            Assert.True(NetworkChecks.WaitForPing(net.A, "10.234.0.2", TimeSpan.FromSeconds(60)), syslog.Text);
            Assert.Contains($"endpoint {HostName} now resolves to {MovedB4}:51822 (was {TwoNamespaces.OuterB4}:51822)", syslog.Text);
        }
        finally
        {
            OperatorCli.CleanUp(net.A, a);
            OperatorCli.CleanUp(net.B, b);
            Directory.Delete(hostsDirectory, recursive: true);
        }
    }

    /// <summary>Waits until each end received all the other sent (A's keepalive answered B's last reply) and nothing moves for a while.</summary>
    private static bool Quiet(string a, string b)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (ulong, ulong, ulong, ulong) last = default;
        int stableRounds = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var peerOfA = WgSharp.Control.Uapi.UapiClient.ForInterface(a).Get().Peers[0];
            var peerOfB = WgSharp.Control.Uapi.UapiClient.ForInterface(b).Get().Peers[0];
            var now = (peerOfA.TxBytes, peerOfA.RxBytes, peerOfB.TxBytes, peerOfB.RxBytes);
            bool balanced = peerOfA.TxBytes == peerOfB.RxBytes && peerOfB.TxBytes == peerOfA.RxBytes;
            stableRounds = balanced && now == last ? stableRounds + 1 : 0;
            if (stableRounds >= 10) return true; // 2 s real, 20 s of protocol time at scale 10: every timer has fired
            last = now;
            Thread.Sleep(200);
        }
        return false;
    }

    private static string GetExtended(string name) =>
        WgSharp.Control.Uapi.UapiGetFormatter.FormatReply(WgSharp.Control.Uapi.UapiClient.ForInterface(name).Get(extensions: true), extensions: true);
}
