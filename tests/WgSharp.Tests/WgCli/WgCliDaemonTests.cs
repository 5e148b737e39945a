using WgSharp.Linux;
using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

/// <summary>
/// `wgsharp show/showconf/set/setconf/addconf/syncconf` against a live wgsharp daemon (in namespace
/// wgsw-c), checked against what the real wg prints and does.
/// </summary>
[Collection(WgCliNetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class WgCliDaemonTests : IDisposable
{
    private const string Netns = "wgsw-c";
    private readonly string _directory = Directory.CreateTempSubdirectory("wgsw-cli-").FullName;
    private readonly List<WgsharpDaemon> _daemons = [];

    public WgCliDaemonTests() => WgCliTools.CreateNamespace(Netns);

    public void Dispose()
    {
        foreach (var daemon in _daemons) daemon.Dispose();
        WgCliTools.DeleteNamespace(Netns);
        Directory.Delete(_directory, recursive: true);
    }

    private WgsharpDaemon StartDaemon(string name)
    {
        var daemon = WgsharpDaemon.Start(Netns, name);
        _daemons.Add(daemon);
        return daemon;
    }

    private string WriteFile(string name, string content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Key64(Key key) => key.ToBase64();

    private static string Ok(CommandResult result) => result.EnsureSuccess().StandardOutput;

    [Fact]
    public void Show_and_showconf_print_exactly_what_wg_prints()
    {
        StartDaemon("wgsw0");
        var privateKey = KeyGenerator.GeneratePrivateKey();
        string conf = $"""
            [Interface]
            PrivateKey = {Key64(privateKey)}
            ListenPort = 51990
            FwMark = 0x4d2

            [Peer]
            PublicKey = {Key64(KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()))}
            PresharedKey = {Key64(KeyGenerator.GeneratePresharedKey())}
            AllowedIPs = 10.9.0.0/16, fd00:9::/64
            AllowedIPs = ::102:304/128, ::ffff:10.1.2.3/128, 10.8.0.1
            Endpoint = 127.0.0.1:9
            PersistentKeepalive = 25

            [Peer]
            PublicKey = {Key64(KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()))}
            Endpoint = [::1]:9

            [Peer]
            PublicKey = {Key64(KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()))}
            AllowedIPs = 192.0.2.0/24
            """;
        var set = WgCliTools.RunWgsharp("setconf", "wgsw0", WriteFile("wgsw0.conf", conf));
        Assert.True(set.Succeeded, set.StandardError);

        Assert.Equal(WgCliTools.StableDump(Ok(WgCliTools.RunWg("show", "wgsw0", "dump"))),
                     WgCliTools.StableDump(Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump"))));
        Assert.Equal(WgCliTools.StableDump(Ok(WgCliTools.RunWg("show", "all", "dump")), "wgsw0"),
                     WgCliTools.StableDump(Ok(WgCliTools.RunWgsharp("show", "all", "dump")), "wgsw0"));
        string showconf = Ok(WgCliTools.RunWgsharp("showconf", "wgsw0"));
        Assert.Equal(Ok(WgCliTools.RunWg("showconf", "wgsw0")), showconf);
        Assert.Contains($"PrivateKey = {Key64(privateKey)}\n", showconf);

        foreach (string field in new[] { "public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys",
                     "endpoints", "allowed-ips", "persistent-keepalive" })
        {
            Assert.Equal(Ok(WgCliTools.RunWg("show", "wgsw0", field)), Ok(WgCliTools.RunWgsharp("show", "wgsw0", field)));
        }
        // `show all` walks every interface on the machine (other tests' too), so only a few fields are
        // compared there. (wg 1.0.20210914 prints the interface name only once before all endpoints of a
        // device, an upstream slip; wgsharp prefixes every line, as for every other field.)
        foreach (string field in new[] { "peers", "allowed-ips", "private-key" })
        {
            Assert.Equal(OnlyWgsw0(Ok(WgCliTools.RunWg("show", "all", field))), OnlyWgsw0(Ok(WgCliTools.RunWgsharp("show", "all", field))));
        }

        // The pretty report (without the lines that change by themselves: handshake, transfer).
        Assert.Equal(WithoutCounters(Ok(WgCliTools.RunWg("show", "wgsw0"))), WithoutCounters(Ok(WgCliTools.RunWgsharp("show", "wgsw0"))));
        Assert.Contains("wgsw0", Ok(WgCliTools.RunWgsharp("show", "interfaces")).TrimEnd('\n').Split(' '));

        // showconf's output is a configuration setconf restores exactly.
        string before = WgCliTools.StableDump(Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump")));
        Assert.True(WgCliTools.RunWgsharp("setconf", "wgsw0", "/dev/null").Succeeded);
        var emptied = Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(emptied); // no peers left
        var deviceFields = emptied[0].Split('\t');
        Assert.Equal(("(none)", "(none)", "off"), (deviceFields[0], deviceFields[1], deviceFields[3]));
        Assert.True(WgCliTools.RunWgsharp("setconf", "wgsw0", WriteFile("restore.conf", showconf)).Succeeded);
        Assert.Equal(before, WgCliTools.StableDump(Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump"))));
    }

    private static string OnlyWgsw0(string output) =>
        string.Concat(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("wgsw0\t", StringComparison.Ordinal)).Select(l => l + "\n"));

    private static string WithoutCounters(string pretty) =>
        string.Concat(pretty.Split('\n').Where(l => !l.StartsWith("  latest handshake:", StringComparison.Ordinal) && !l.StartsWith("  transfer:", StringComparison.Ordinal))
            .Select(l => l + "\n"));

    [Fact]
    public void Set_setconf_addconf_syncconf_change_the_device_as_wg_does()
    {
        // The same steps through wgsharp (on wgsw0) and through wg (on wgsw1) must leave equal devices.
        StartDaemon("wgsw0");
        StartDaemon("wgsw1");
        var keys = Enumerable.Range(0, 4).Select(_ => KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey())).ToArray();
        string psk = WriteFile("psk", Key64(KeyGenerator.GeneratePresharedKey()) + "\n");
        string privateKey = WriteFile("private", Key64(KeyGenerator.GeneratePrivateKey()) + "\n");
        string Peer(int i, string extra = "") => $"[Peer]\nPublicKey = {Key64(keys[i])}\nAllowedIPs = 10.7.{i}.0/24\n{extra}\n";
        string baseConf = WriteFile("base.conf", $"[Interface]\nPrivateKey = {File.ReadAllText(privateKey).Trim()}\nFwMark = 7\n\n" +
            Peer(0, "Endpoint = 127.0.0.1:9\nPersistentKeepalive = 30") + Peer(1));
        string addConf = WriteFile("add.conf", Peer(2, "Endpoint = [::1]:9") + Peer(1, "AllowedIPs = fd00:7::/48"));
        string syncConf = WriteFile("sync.conf", $"[Interface]\nPrivateKey = {File.ReadAllText(privateKey).Trim()}\n\n" + Peer(1) + Peer(3));

        string[][] steps =
        [
            ["setconf", "IF", baseConf],
            ["addconf", "IF", addConf],
            ["set", "IF", "fwmark", "off", "peer", Key64(keys[0]), "preshared-key", psk, "persistent-keepalive", "off", "allowed-ips", "10.6.0.1/32,fd00::1/128",
                "peer", Key64(keys[2]), "remove", "peer", Key64(keys[3]), "endpoint", "127.0.0.2:10"],
            ["set", "IF", "peer", Key64(keys[3]), "allowed-ips", ""],
            ["syncconf", "IF", syncConf],
            ["set", "IF", "private-key", "/dev/null", "peer", Key64(keys[1]), "preshared-key", "/dev/null"],
        ];
        foreach (var step in steps)
        {
            var ours = WgCliTools.RunWgsharp(step.Select(a => a == "IF" ? "wgsw0" : a).ToArray());
            var theirs = WgCliTools.RunWg(step.Select(a => a == "IF" ? "wgsw1" : a).ToArray());
            Assert.True(ours.Succeeded, $"wgsharp {string.Join(' ', step)}: {ours.StandardError}");
            Assert.True(theirs.Succeeded, $"wg {string.Join(' ', step)}: {theirs.StandardError}");
            Assert.Equal(WgCliTools.StableDump(Ok(WgCliTools.RunWg("show", "wgsw1", "dump")), blankListenPort: true),
                         WgCliTools.StableDump(Ok(WgCliTools.RunWg("show", "wgsw0", "dump")), blankListenPort: true));
        }
        // After syncconf only the file's peers remain.
        var peers = Ok(WgCliTools.RunWgsharp("show", "wgsw0", "peers")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { Key64(keys[1]), Key64(keys[3]) }.Order(), peers.Order());
    }

    [Fact]
    public void A_refused_set_changes_nothing()
    {
        StartDaemon("wgsw0");
        StartDaemon("wgsw1");
        Assert.True(WgCliTools.RunWgsharp("set", "wgsw1", "listen-port", "51991").Succeeded);
        Assert.True(WgCliTools.RunWgsharp("set", "wgsw0", "listen-port", "51992").Succeeded);
        string before = Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump"));
        string newPeer = Key64(KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()));

        // Refused by the parser: nothing is sent.
        var parse = WgCliTools.RunWgsharp("set", "wgsw0", "peer", newPeer, "allowed-ips", "10.0.0.1/33");
        Assert.Equal(1, parse.ExitCode);
        Assert.Equal("AllowedIP is not in the correct format: `10.0.0.1/33'\n", parse.StandardError);

        // Refused by the daemon (the port is taken by wgsw1 in the same namespace): the peer is not added either.
        var daemon = WgCliTools.RunWgsharp("set", "wgsw0", "listen-port", "51991", "peer", newPeer, "allowed-ips", "10.0.0.1/32");
        Assert.Equal(1, daemon.ExitCode);
        Assert.Equal("Unable to modify interface: Address already in use\n", daemon.StandardError);
        Assert.Equal("", daemon.StandardOutput);
        Assert.Equal(before, Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump")));

        var missing = WgCliTools.RunWgsharp("setconf", "wgsw0", WriteFile("bad.conf", "[Interface]\nAddress = 10.0.0.1/24\n"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Line unrecognized: `Address=10.0.0.1/24'\nConfiguration parsing error\n", missing.StandardError);
        Assert.Equal(before, Ok(WgCliTools.RunWgsharp("show", "wgsw0", "dump")));
    }
}
