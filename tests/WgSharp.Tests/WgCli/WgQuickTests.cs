using System.Globalization;
using WgSharp.Linux;
using WgSharp.Keys;

namespace WgSharp.Tests.WgCli;

/// <summary>
/// wg-quick with wgsharp as its userspace implementation (namespace wgsw-a) against wireguard-go
/// (namespace wgsw-b) over a veth pair: traffic both ways, the real wg's syncconf/addconf/setconf
/// and `show all dump` against the wgsharp daemon, and `wg-quick down` tearing it all down.
/// </summary>
[Collection(WgCliNetnsCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class WgQuickTests : IDisposable
{
    private const string NetnsA = "wgsw-a", NetnsB = "wgsw-b";
    private const string QuickInterface = "wgsw1", GoInterface = "wgsw2";
    private const string TunnelA = "10.241.0.1", TunnelB = "10.241.0.2";
    private const string UnderlayA = "192.168.241.1", UnderlayB = "192.168.241.2";

    private readonly string _directory = Directory.CreateTempSubdirectory("wgsw-quick-").FullName;

    public WgQuickTests()
    {
        WgCliTools.CreateNamespace(NetnsA);
        WgCliTools.CreateNamespace(NetnsB);
        WgCliTools.RemoveStaleSocket(QuickInterface);
        WgCliTools.RemoveStaleSocket(GoInterface);
        IpCommand.Run(NetnsA, "link", "add", "wgsw-va", "type", "veth", "peer", "name", "wgsw-vb", "netns", NetnsB).EnsureSuccess();
        NetNs.AddAddress(NetnsA, "wgsw-va", UnderlayA + "/24");
        NetNs.AddAddress(NetnsB, "wgsw-vb", UnderlayB + "/24");
        NetNs.SetLinkUp(NetnsA, "wgsw-va", true);
        NetNs.SetLinkUp(NetnsB, "wgsw-vb", true);
    }

    public void Dispose()
    {
        // Deleting the namespaces stops what still runs in them (the detached wgsharp, wireguard-go).
        WgCliTools.DeleteNamespace(NetnsA);
        WgCliTools.DeleteNamespace(NetnsB);
        WgCliTools.RemoveStaleSocket(QuickInterface);
        WgCliTools.RemoveStaleSocket(GoInterface);
        Directory.Delete(_directory, recursive: true);
    }

    private static string Ok(CommandResult result) => result.EnsureSuccess().StandardOutput;

    private static bool Ping(string netns, string address) =>
        WgCliTools.WaitUntil(() => WgCliTools.InNamespace(netns, "ping", "-c", "1", "-W", "1", address).Succeeded,
            TimeSpan.FromSeconds(8), $"ping {address} from {netns}", throwOnTimeout: false);

    private string WriteConf(string name, string content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // wg-quick warns about readable configs
        return path;
    }

    private static long LatestHandshake(string peer) =>
        long.Parse(Ok(WgCliTools.RunWgsharp("show", QuickInterface, "latest-handshakes")).Split('\n')
            .Single(l => l.StartsWith(peer, StringComparison.Ordinal)).Split('\t')[1], CultureInfo.InvariantCulture);

    [Fact]
    public void Wg_quick_brings_up_a_working_tunnel_with_wgsharp_and_takes_it_down()
    {
        var quickKey = KeyGenerator.GeneratePrivateKey();
        var goKey = KeyGenerator.GeneratePrivateKey();
        string goPublic = KeyGenerator.DerivePublicKey(goKey).ToBase64(), quickPublic = KeyGenerator.DerivePublicKey(quickKey).ToBase64();
        string psk = KeyGenerator.GeneratePresharedKey().ToBase64();

        // The wireguard-go side, configured with the real wg.
        string goKeyFile = WriteConf("go.key", goKey.ToBase64() + "\n");
        string pskFile = WriteConf("psk", psk + "\n");
        // wireguard-go daemonizes; its daemon must not hold the pipes this test reads until end-of-file.
        var goStart = WgCliTools.InNamespace(NetnsB, "sh", "-c", $"exec wireguard-go {GoInterface} </dev/null >/dev/null 2>&1");
        Assert.True(goStart.Succeeded, goStart.StandardError);
        Ok(WgCliTools.InNamespace(NetnsB, "wg", "set", GoInterface, "private-key", goKeyFile, "listen-port", "51820",
            "peer", quickPublic, "preshared-key", pskFile, "allowed-ips", TunnelA + "/32", "endpoint", UnderlayA + ":51821"));
        NetNs.AddAddress(NetnsB, GoInterface, TunnelB + "/24");
        NetNs.SetLinkUp(NetnsB, GoInterface, true);

        // The wgsharp side, through wg-quick: the file name gives the interface name.
        string conf = WriteConf($"{QuickInterface}.conf", $"""
            [Interface]
            Address = {TunnelA}/24
            ListenPort = 51821
            PrivateKey = {quickKey.ToBase64()}
            MTU = 1380

            [Peer]
            PublicKey = {goPublic}
            PresharedKey = {psk}
            AllowedIPs = {TunnelB}/32
            Endpoint = {UnderlayB}:51820
            PersistentKeepalive = 25
            """);
        string[] environment = [$"PATH={BsdCli.OperatorCli.LauncherDirectory}:{Environment.GetEnvironmentVariable("PATH")}", "WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go"];
        var up = WgCliTools.InNamespace(NetnsA, environment, "wg-quick", "up", conf);
        Assert.True(up.Succeeded, up.StandardError);
        Assert.Contains("wgsharp-go " + QuickInterface, up.StandardError); // wg-quick really started our daemon
        Assert.True(WgCliTools.IsServing(QuickInterface));
        Assert.Contains("mtu 1380", Ok(IpCommand.Run(NetnsA, "link", "show", QuickInterface)));

        Assert.True(Ping(NetnsA, TunnelB), "no ping through the tunnel from the wgsharp side");
        Assert.True(Ping(NetnsB, TunnelA), "no ping through the tunnel from the wireguard-go side");
        string dump = Ok(WgCliTools.RunWgsharp("show", QuickInterface, "dump"));
        Assert.Contains($"{goPublic}\t{psk}\t{UnderlayB}:51820\t{TunnelB}/32\t", dump);
        Assert.NotEqual(0, LatestHandshake(goPublic));

        // wg syncconf (the real wg) adding a peer keeps the running session: no new handshake is needed.
        long handshake = LatestHandshake(goPublic);
        WgCliTools.WaitUntil(() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() > handshake + 1, TimeSpan.FromSeconds(3), "the clock to move on");
        string extraPeer = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();
        string stripped = Ok(WgCliTools.InNamespace(NetnsA, environment, "wg-quick", "strip", conf));
        string synced = WriteConf("sync.conf", stripped + $"\n[Peer]\nPublicKey = {extraPeer}\nAllowedIPs = 10.241.9.0/24\n");
        Ok(WgCliTools.RunWg("syncconf", QuickInterface, synced));
        Assert.True(Ping(NetnsA, TunnelB));
        Assert.Equal(handshake, LatestHandshake(goPublic));
        Assert.Contains(extraPeer, Ok(WgCliTools.RunWgsharp("show", QuickInterface, "peers")));

        // wg addconf adds, wg setconf replaces the peer list.
        string another = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64();
        Ok(WgCliTools.RunWg("addconf", QuickInterface, WriteConf("add.conf", $"[Peer]\nPublicKey = {another}\nAllowedIPs = 10.241.8.0/24\n")));
        Assert.Equal(3, Ok(WgCliTools.RunWg("show", QuickInterface, "peers")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Ok(WgCliTools.RunWg("setconf", QuickInterface, WriteConf("set.conf", stripped)));
        Assert.Equal(goPublic + "\n", Ok(WgCliTools.RunWgsharp("show", QuickInterface, "peers")));
        Assert.True(Ping(NetnsA, TunnelB), "no ping after wg setconf");

        // `show all dump` of wg and wgsharp agree on this interface.
        Assert.Equal(WgCliTools.StableDump(Ok(WgCliTools.RunWg("show", "all", "dump")), QuickInterface),
                     WgCliTools.StableDump(Ok(WgCliTools.RunWgsharp("show", "all", "dump")), QuickInterface));
        Assert.Equal(Ok(WgCliTools.RunWg("showconf", QuickInterface)), Ok(WgCliTools.RunWgsharp("showconf", QuickInterface)));

        var down = WgCliTools.InNamespace(NetnsA, environment, "wg-quick", "down", conf);
        Assert.True(down.Succeeded, down.StandardError);
        Assert.False(NetNs.LinkExists(NetnsA, QuickInterface));
        Assert.True(WgCliTools.WaitUntil(() => !File.Exists(WgCliTools.SocketPath(QuickInterface)), TimeSpan.FromSeconds(10),
            "the daemon to remove its socket", throwOnTimeout: false), "the wgsharp daemon left its socket behind");
        Assert.True(WgCliTools.WaitUntil(() => CommandRunner.Run("ip", "netns", "pids", NetnsA).StandardOutput.Trim().Length == 0,
            TimeSpan.FromSeconds(10), "the daemon to exit", throwOnTimeout: false), "the wgsharp daemon is still running");
    }
}
