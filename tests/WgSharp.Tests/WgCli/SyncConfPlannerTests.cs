using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;

namespace WgSharp.Tests.WgCli;

public class SyncConfPlannerTests
{
    private static DeviceStatus Running(params byte[] peers) => new()
    {
        InterfaceName = "wgsw9",
        Peers = peers.Select(p => new PeerStatus { PublicKey = WgCliTestKeys.Public(p) }).ToList(),
    };

    private static DeviceUpdate File(params byte[] peers) =>
        WgConfigParser.Parse("[Interface]\nListenPort = 7\n" +
            string.Concat(peers.Select(p => $"[Peer]\nPublicKey = {WgCliTestKeys.Public(p).ToBase64()}\nAllowedIPs = 10.0.0.{p}/32\n")), append: false);

    [Fact]
    public void Removes_absent_peers_first_and_updates_the_rest_in_place()
    {
        var plan = SyncConfPlanner.Plan(File(2, 3), Running(1, 2, 4));
        Assert.False(plan.ReplacePeers);
        Assert.Equal((ushort)7, plan.ListenPort);
        Assert.Equal(
            $"private_key={new string('0', 64)}\nlisten_port=7\nfwmark=0\n" +
            $"public_key={WgCliTestKeys.Public(1).ToHex()}\nremove=true\n" +
            $"public_key={WgCliTestKeys.Public(4).ToHex()}\nremove=true\n" +
            $"public_key={WgCliTestKeys.Public(2).ToHex()}\nreplace_allowed_ips=true\nallowed_ip=10.0.0.2/32\n" +
            $"public_key={WgCliTestKeys.Public(3).ToHex()}\nreplace_allowed_ips=true\nallowed_ip=10.0.0.3/32\n",
            UapiSetFormatter.FormatBody(plan));
    }

    [Fact]
    public void Without_peers_on_either_side_it_is_setconf()
    {
        var noFilePeers = File();
        Assert.Same(noFilePeers, SyncConfPlanner.Plan(noFilePeers, Running(1)));
        Assert.True(noFilePeers.ReplacePeers);
        var noRunningPeers = File(1);
        Assert.Same(noRunningPeers, SyncConfPlanner.Plan(noRunningPeers, Running()));
    }
}
