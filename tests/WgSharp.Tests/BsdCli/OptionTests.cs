using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// Every wg(4) ifconfig option and its negation, set through `wgsharp IFNAME ...` and read back
/// both from our status output and from the real wg(8) over the control socket.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class OptionTests : IDisposable
{
    private const string If = "wgsb3";
    private static readonly int[] RDomains = [203, 204];

    public OptionTests()
    {
        WgSharpCli.CleanUp([If], RDomains);
        WgSharpCli.Ok(If, "create");
    }

    public void Dispose() => WgSharpCli.CleanUp([If], RDomains);

    private static string Status() => WgSharpCli.Ok(If).StandardOutput;

    private static string[] StatusLines() => Status().Split('\n');

    private static string[] Dump() => WgSharpCli.Wg("show", If, "dump").EnsureSuccess().StandardOutput.TrimEnd('\n').Split('\n');

    /// <summary>The tab-separated fields of the dump line for one peer.</summary>
    private static string[]? PeerDump(Key peer) =>
        Dump().Skip(1).Select(l => l.Split('\t')).FirstOrDefault(f => f[0] == peer.ToBase64());

    private static string ShowConf() => WgSharpCli.Wg("showconf", If).EnsureSuccess().StandardOutput;

    private static Key NewKey() => KeyPair.GeneratePrivateKey();

    [Fact]
    public void WgkeyAndWgportAreShownAndSeenByWg()
    {
        var key = NewKey();
        WgSharpCli.Ok(If, "wgkey", key.ToBase64(), "wgport", "7333");
        Assert.Contains("\twgpubkey " + KeyPair.DerivePublicKey(key).ToBase64(), StatusLines());
        Assert.Contains("\twgport 7333", StatusLines());
        var device = Dump()[0].Split('\t');
        Assert.Equal(key.ToBase64(), device[0]);
        Assert.Equal(KeyPair.DerivePublicKey(key).ToBase64(), device[1]);
        Assert.Equal("7333", device[2]);
        Assert.Contains("ListenPort = 7333", ShowConf());

        // A new key replaces the old one.
        var other = NewKey();
        WgSharpCli.Ok(If, "wgkey", other.ToBase64());
        Assert.Equal(other.ToBase64(), Dump()[0].Split('\t')[0]);
        Assert.DoesNotContain(key.ToBase64(), Status()); // the private key is never shown in the status
        Assert.DoesNotContain(other.ToBase64(), Status());
    }

    [Fact]
    public void PeerOptionsAndTheirNegations()
    {
        var peer = KeyPair.DerivePublicKey(NewKey());
        var psk = KeyPair.GeneratePresharedKey();
        WgSharpCli.Ok(If, "wgpeer", peer.ToBase64(), "wgpsk", psk.ToBase64(), "wgpka", "25",
            "wgendpoint", "127.0.0.1", "5555", "wgaip", "10.203.0.0/24", "wgaip", "fd00:203::/64", "wgdescr", "branch-office");

        string status = Status();
        Assert.Contains("\twgpeer " + peer.ToBase64() + "\n", status);
        Assert.Contains("\t\twgdescr: branch-office\n", status);
        Assert.Contains("\t\twgpsk (present)\n", status);
        Assert.Contains("\t\twgpka 25 (sec)\n", status);
        Assert.Contains("\t\twgendpoint 127.0.0.1 5555\n", status);
        Assert.Contains("\t\twgaip 10.203.0.0/24\n", status);
        Assert.Contains("\t\twgaip fd00:203::/64\n", status);
        Assert.DoesNotContain(psk.ToBase64(), status);
        var fields = PeerDump(peer)!;
        Assert.Equal(psk.ToBase64(), fields[1]);
        Assert.Equal("127.0.0.1:5555", fields[2]);
        Assert.Equal(["10.203.0.0/24", "fd00:203::/64"], fields[3].Split(',').Order().ToArray());
        Assert.Equal("25", fields[7]);

        WgSharpCli.Ok(If, "wgpeer", peer.ToBase64(), "-wgpsk", "-wgpka", "-wgaip", "10.203.0.0/24", "-wgdescr");
        status = Status();
        Assert.DoesNotContain("wgdescr", status);
        Assert.DoesNotContain("wgpsk", status);
        Assert.DoesNotContain("wgpka", status);
        Assert.DoesNotContain("10.203.0.0/24", status);
        Assert.Contains("\t\twgaip fd00:203::/64\n", status);
        fields = PeerDump(peer)!;
        Assert.Equal("(none)", fields[1]);
        Assert.Equal("fd00:203::/64", fields[3]);
        Assert.Equal("off", fields[7]);

        // wgaip without -wgaip replaces the peer's ranges, as on OpenBSD.
        WgSharpCli.Ok(If, "wgpeer", peer.ToBase64(), "wgaip", "10.203.1.0/24");
        Assert.Equal("10.203.1.0/24", PeerDump(peer)![3]);
    }

    [Fact]
    public void RemovingOnePeerAndAllPeers()
    {
        var peers = Enumerable.Range(0, 3).Select(_ => KeyPair.DerivePublicKey(NewKey())).ToArray();
        foreach (var (peer, index) in peers.Select((p, i) => (p, i)))
            WgSharpCli.Ok(If, "wgpeer", peer.ToBase64(), "wgaip", $"10.203.{index}.0/24");
        Assert.Equal(3, Dump().Length - 1);

        WgSharpCli.Ok(If, "-wgpeer", peers[1].ToBase64());
        Assert.Null(PeerDump(peers[1]));
        Assert.NotNull(PeerDump(peers[0]));
        Assert.DoesNotContain(peers[1].ToBase64(), Status());

        WgSharpCli.Ok(If, "-wgpeerall");
        Assert.Single(Dump());
        Assert.DoesNotContain("wgpeer", Status());
    }

    [Fact]
    public void WgrtableMovesTheUdpSocketIntoTheRdomain()
    {
        WgSharpCli.Ok(If, "wgport", "7334", "wgrtable", "203");
        Assert.Contains("\twgrtable 203", StatusLines());
        var inside = CommandRunner.Run("ip", "netns", "exec", "rdomain203", "ss", "-Huln", "sport = :7334").EnsureSuccess();
        Assert.Contains(":7334", inside.StandardOutput);
        Assert.DoesNotContain(":7334", CommandRunner.Run("ss", "-Huln", "sport = :7334").EnsureSuccess().StandardOutput);
        Assert.Equal("7334", Dump()[0].Split('\t')[2]);

        WgSharpCli.Ok(If, "wgrtable", "0");
        Assert.DoesNotContain("wgrtable", Status());
        Assert.Contains(":7334", CommandRunner.Run("ss", "-Huln", "sport = :7334").EnsureSuccess().StandardOutput);
    }

    [Fact]
    public void DebugMtuUpAndDown()
    {
        WgSharpCli.Ok(If, "debug");
        Assert.Contains("DEBUG", StatusLines()[0]);
        WgSharpCli.Ok(If, "-debug");
        Assert.DoesNotContain("DEBUG", StatusLines()[0]);

        WgSharpCli.Ok(If, "mtu", "1280", "up");
        Assert.StartsWith($"{If}: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> mtu 1280", Status());
        Assert.Contains("mtu 1280", NetNs.Ip(null, "link", "show", "dev", If).EnsureSuccess().StandardOutput);
        Assert.Contains(",UP,", NetNs.Ip(null, "link", "show", "dev", If).StandardOutput.Replace('<', ',').Replace('>', ','));

        WgSharpCli.Ok(If, "down");
        Assert.StartsWith($"{If}: flags=8082<BROADCAST,NOARP,MULTICAST> mtu 1280", Status());
    }

    [Fact]
    public void AddressesAreAddedReplacedAndDeleted()
    {
        // An address implies up, as wg(4) does.
        WgSharpCli.Ok(If, "10.203.0.1/24");
        Assert.Contains("\tinet 10.203.0.1 netmask 0xffffff00 broadcast 10.203.0.255", StatusLines());
        Assert.Contains("UP", StatusLines()[0]);
        Assert.Contains("10.203.0.1/24", NetNs.Ip(null, "-4", "addr", "show", "dev", If).StandardOutput);

        WgSharpCli.Ok(If, "inet6", "fd00:203::1", "prefixlen", "64");
        Assert.Contains("\tinet6 fd00:203::1 prefixlen 64", StatusLines());

        // Without "alias" a new inet address replaces the first one; with it, it is added.
        WgSharpCli.Ok(If, "10.203.1.1/16");
        Assert.DoesNotContain("10.203.0.1", Status());
        Assert.Contains("\tinet 10.203.1.1 netmask 0xffff0000 broadcast 10.203.255.255", StatusLines());
        WgSharpCli.Ok(If, "inet", "10.203.2.1", "netmask", "255.255.255.0", "alias");
        Assert.Contains("\tinet 10.203.1.1 netmask 0xffff0000 broadcast 10.203.255.255", StatusLines());
        Assert.Contains("\tinet 10.203.2.1 netmask 0xffffff00 broadcast 10.203.2.255", StatusLines());

        WgSharpCli.Ok(If, "10.203.2.1", "delete");
        Assert.DoesNotContain("10.203.2.1", Status());
        WgSharpCli.Ok(If, "inet6", "fd00:203::1", "-alias");
        Assert.DoesNotContain("fd00:203::1", Status());
        Assert.DoesNotContain("fd00:203::1", NetNs.Ip(null, "addr", "show", "dev", If).StandardOutput);

        var missing = WgSharpCli.Run(If, "10.203.9.9", "delete");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("10.203.9.9", missing.StandardError);
    }

    [Fact]
    public void RdomainMovesTheInterfaceAndBack()
    {
        WgSharpCli.Ok(If, "rdomain", "204", "10.204.0.1/24");
        Assert.StartsWith($"{If}: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> rdomain 204 mtu", Status());
        Assert.Contains("\tinet 10.204.0.1 netmask 0xffffff00 broadcast 10.204.0.255", StatusLines());
        Assert.True(NetNs.LinkExists("rdomain204", If));
        Assert.False(NetNs.LinkExists(null, If));
        // Its loopback is up, so the rdomain is usable at once.
        Assert.Contains("UP", NetNs.Ip("rdomain204", "link", "show", "dev", "lo").StandardOutput);

        WgSharpCli.Ok(If, "-rdomain");
        Assert.True(NetNs.LinkExists(null, If));
        Assert.DoesNotContain("rdomain", StatusLines()[0]);
        WgSharpCli.Ok(If, "destroy");
        Assert.False(WgSharpCli.IsServing(If));
        Assert.False(NetNs.LinkExists(null, If));
    }
}
