using WgSharp.Linux;
using WgSharp.Keys;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.BsdCli;

/// <summary>
/// Every wg(4) ifconfig option and its negation, set through `wgsharp IFNAME ...` and read back
/// both from our status output and from the real wg(8) over the control socket.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class OptionTests : IDisposable
{
    private readonly string _if = TestNames.NewInterface();
    private readonly RDomainLease _wgrtable = RDomainLease.Take(), _rdomain = RDomainLease.Take();

    public OptionTests()
    {
        WgSharpCli.CleanUp([_if], [_wgrtable.Number, _rdomain.Number]);
        WgSharpCli.Ok(_if, "create");
    }

    public void Dispose()
    {
        WgSharpCli.CleanUp([_if], [_wgrtable.Number, _rdomain.Number]);
        _wgrtable.Dispose();
        _rdomain.Dispose();
    }

    private string Status() => WgSharpCli.Ok(_if).StandardOutput;

    private string[] StatusLines() => Status().Split('\n');

    private string[] Dump() => WgSharpCli.Wg("show", _if, "dump").EnsureSuccess().StandardOutput.TrimEnd('\n').Split('\n');

    /// <summary>The tab-separated fields of the dump line for one peer.</summary>
    private string[]? PeerDump(Key peer) =>
        Dump().Skip(1).Select(l => l.Split('\t')).FirstOrDefault(f => f[0] == peer.ToBase64());

    private string ShowConf() => WgSharpCli.Wg("showconf", _if).EnsureSuccess().StandardOutput;

    private static Key NewKey() => KeyGenerator.GeneratePrivateKey();

    [Fact]
    public void WgkeyAndWgportAreShownAndSeenByWg()
    {
        var key = NewKey();
        string port = $"{FreePorts.Udp()}";
        WgSharpCli.Ok(_if, "wgkey", key.ToBase64(), "wgport", port);
        Assert.Contains("\twgpubkey " + KeyGenerator.DerivePublicKey(key).ToBase64(), StatusLines());
        Assert.Contains($"\twgport {port}", StatusLines());
        var device = Dump()[0].Split('\t');
        Assert.Equal(key.ToBase64(), device[0]);
        Assert.Equal(KeyGenerator.DerivePublicKey(key).ToBase64(), device[1]);
        Assert.Equal(port, device[2]);
        Assert.Contains($"ListenPort = {port}", ShowConf());

        // A new key replaces the old one.
        var other = NewKey();
        WgSharpCli.Ok(_if, "wgkey", other.ToBase64());
        Assert.Equal(other.ToBase64(), Dump()[0].Split('\t')[0]);
        Assert.DoesNotContain(key.ToBase64(), Status()); // the private key is never shown in the status
        Assert.DoesNotContain(other.ToBase64(), Status());
    }

    [Fact]
    public void PeerOptionsAndTheirNegations()
    {
        var peer = KeyGenerator.DerivePublicKey(NewKey());
        var psk = KeyGenerator.GeneratePresharedKey();
        WgSharpCli.Ok(_if, "wgpeer", peer.ToBase64(), "wgpsk", psk.ToBase64(), "wgpka", "25",
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

        WgSharpCli.Ok(_if, "wgpeer", peer.ToBase64(), "-wgpsk", "-wgpka", "-wgaip", "10.203.0.0/24", "-wgdescr");
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
        WgSharpCli.Ok(_if, "wgpeer", peer.ToBase64(), "wgaip", "10.203.1.0/24");
        Assert.Equal("10.203.1.0/24", PeerDump(peer)![3]);
    }

    [Fact]
    public void RemovingOnePeerAndAllPeers()
    {
        var peers = Enumerable.Range(0, 3).Select(_ => KeyGenerator.DerivePublicKey(NewKey())).ToArray();
        foreach (var (peer, index) in peers.Select((p, i) => (p, i)))
            WgSharpCli.Ok(_if, "wgpeer", peer.ToBase64(), "wgaip", $"10.203.{index}.0/24");
        Assert.Equal(3, Dump().Length - 1);

        WgSharpCli.Ok(_if, "-wgpeer", peers[1].ToBase64());
        Assert.Null(PeerDump(peers[1]));
        Assert.NotNull(PeerDump(peers[0]));
        Assert.DoesNotContain(peers[1].ToBase64(), Status());

        WgSharpCli.Ok(_if, "-wgpeerall");
        Assert.Single(Dump());
        Assert.DoesNotContain("wgpeer", Status());
    }

    [Fact]
    public void WgrtableMovesTheUdpSocketIntoTheRdomain()
    {
        string port = $"{FreePorts.Udp()}", table = $"{_wgrtable.Number}";
        WgSharpCli.Ok(_if, "wgport", port, "wgrtable", table);
        Assert.Contains($"\twgrtable {table}", StatusLines());
        var inside = CommandRunner.Run("ip", "netns", "exec", _wgrtable.Namespace, "ss", "-Huln", $"sport = :{port}").EnsureSuccess();
        Assert.Contains($":{port}", inside.StandardOutput);
        Assert.DoesNotContain($":{port}", CommandRunner.Run("ss", "-Huln", $"sport = :{port}").EnsureSuccess().StandardOutput);
        Assert.Equal(port, Dump()[0].Split('\t')[2]);

        WgSharpCli.Ok(_if, "wgrtable", "0");
        Assert.DoesNotContain("wgrtable", Status());
        Assert.Contains($":{port}", CommandRunner.Run("ss", "-Huln", $"sport = :{port}").EnsureSuccess().StandardOutput);
    }

    [Fact]
    public void DebugMtuUpAndDown()
    {
        WgSharpCli.Ok(_if, "debug");
        Assert.Contains("DEBUG", StatusLines()[0]);
        WgSharpCli.Ok(_if, "-debug");
        Assert.DoesNotContain("DEBUG", StatusLines()[0]);

        WgSharpCli.Ok(_if, "mtu", "1280", "up");
        Assert.StartsWith($"{_if}: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> mtu 1280", Status());
        Assert.Contains("mtu 1280", IpCommand.Run(null, "link", "show", "dev", _if).EnsureSuccess().StandardOutput);
        Assert.Contains(",UP,", IpCommand.Run(null, "link", "show", "dev", _if).StandardOutput.Replace('<', ',').Replace('>', ','));

        WgSharpCli.Ok(_if, "down");
        Assert.StartsWith($"{_if}: flags=8082<BROADCAST,NOARP,MULTICAST> mtu 1280", Status());
    }

    [Fact]
    public void AddressesAreAddedReplacedAndDeleted()
    {
        // An address implies up, as wg(4) does.
        WgSharpCli.Ok(_if, "10.203.0.1/24");
        Assert.Contains("\tinet 10.203.0.1 netmask 0xffffff00 broadcast 10.203.0.255", StatusLines());
        Assert.Contains("UP", StatusLines()[0]);
        Assert.Contains("10.203.0.1/24", IpCommand.Run(null, "-4", "addr", "show", "dev", _if).StandardOutput);

        WgSharpCli.Ok(_if, "inet6", "fd00:203::1", "prefixlen", "64");
        Assert.Contains("\tinet6 fd00:203::1 prefixlen 64", StatusLines());

        // Without "alias" a new inet address replaces the first one; with it, it is added.
        WgSharpCli.Ok(_if, "10.203.1.1/16");
        Assert.DoesNotContain("10.203.0.1", Status());
        Assert.Contains("\tinet 10.203.1.1 netmask 0xffff0000 broadcast 10.203.255.255", StatusLines());
        WgSharpCli.Ok(_if, "inet", "10.203.2.1", "netmask", "255.255.255.0", "alias");
        Assert.Contains("\tinet 10.203.1.1 netmask 0xffff0000 broadcast 10.203.255.255", StatusLines());
        Assert.Contains("\tinet 10.203.2.1 netmask 0xffffff00 broadcast 10.203.2.255", StatusLines());

        WgSharpCli.Ok(_if, "10.203.2.1", "delete");
        Assert.DoesNotContain("10.203.2.1", Status());
        WgSharpCli.Ok(_if, "inet6", "fd00:203::1", "-alias");
        Assert.DoesNotContain("fd00:203::1", Status());
        Assert.DoesNotContain("fd00:203::1", IpCommand.Run(null, "addr", "show", "dev", _if).StandardOutput);

        var missing = WgSharpCli.Run(_if, "10.203.9.9", "delete");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("10.203.9.9", missing.StandardError);
    }

    [Fact]
    public void RdomainMovesTheInterfaceAndBack()
    {
        WgSharpCli.Ok(_if, "rdomain", $"{_rdomain.Number}", "10.204.0.1/24");
        Assert.StartsWith($"{_if}: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> rdomain {_rdomain.Number} mtu", Status());
        Assert.Contains("\tinet 10.204.0.1 netmask 0xffffff00 broadcast 10.204.0.255", StatusLines());
        Assert.True(NetNs.LinkExists(_rdomain.Namespace, _if));
        Assert.False(NetNs.LinkExists(null, _if));
        // Its loopback is up, so the rdomain is usable at once.
        Assert.Contains("UP", IpCommand.Run(_rdomain.Namespace, "link", "show", "dev", "lo").StandardOutput);

        WgSharpCli.Ok(_if, "-rdomain");
        Assert.True(NetNs.LinkExists(null, _if));
        Assert.DoesNotContain("rdomain", StatusLines()[0]);
        WgSharpCli.Ok(_if, "destroy");
        Assert.False(WgSharpCli.IsServing(_if));
        Assert.False(NetNs.LinkExists(null, _if));
    }
}
