using System.Net;
using System.Runtime.Versioning;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;
using WgSharp.Keys;
using static WgSharp.Tests.Uapi.ProcessRunner;

namespace WgSharp.Tests.Uapi;

/// <summary>
/// Drives our UAPI server with Debian's real wg(8), which only looks in /var/run/wireguard, so
/// these tests own the interface name wgsuapi0 there (and remove its socket afterwards).
/// </summary>
[SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class UapiWgInteropTests : IDisposable
{
    private const string Interface = "wgsuapi0";
    private readonly FakeDeviceControl _device = new(Interface);
    private readonly ListLogger _log = new();
    private readonly UapiServer _server;
    private readonly string _temp = Directory.CreateTempSubdirectory("wgsu-").FullName;

    private readonly Key _privateKey = KeyGenerator.GeneratePrivateKey();
    private readonly Key _peerPublic = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
    private readonly Key _peer2Public = KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey());
    private readonly Key _psk = KeyGenerator.GeneratePresharedKey();

    public UapiWgInteropTests()
    {
        _server = UapiServer.Start(_device, _log);
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_temp, recursive: true);
        Assert.False(File.Exists(UapiProtocol.SocketPathFor(Interface)));
    }

    private string WriteSecret(string name, Key key)
    {
        string path = Path.Combine(_temp, name);
        File.WriteAllText(path, key.ToBase64() + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private DeviceUpdate SingleUpdate()
    {
        Assert.Single(_device.Updates);
        Assert.True(_device.Updates.TryDequeue(out var update));
        return update!;
    }

    private void ConfigureOnePeer() =>
        WgOk("set", Interface, "private-key", WriteSecret("private", _privateKey), "listen-port", "1234", "fwmark", "0x20",
            "peer", _peerPublic.ToBase64(), "preshared-key", WriteSecret("psk", _psk), "allowed-ips", "10.0.0.1/24,fd00::/64",
            "endpoint", "192.0.2.1:51820", "persistent-keepalive", "25");

    [Fact]
    public void WgSetSendsExactlyTheExpectedUpdate()
    {
        ConfigureOnePeer();
        var update = SingleUpdate();
        Assert.Equal(_privateKey, update.PrivateKey);
        Assert.Equal((ushort)1234, update.ListenPort);
        Assert.Equal(0x20u, update.FwMark);
        Assert.False(update.ReplacePeers);
        Assert.False(update.RemoveAllPeers);
        Assert.Null(update.Debug);
        Assert.Null(update.RTable);
        var peer = Assert.Single(update.Peers);
        Assert.Equal(_peerPublic, peer.PublicKey);
        Assert.False(peer.Remove);
        Assert.False(peer.UpdateOnly);
        Assert.Equal(_psk, peer.PresharedKey);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 51820), peer.Endpoint);
        Assert.Equal((ushort)25, peer.PersistentKeepalive);
        Assert.True(peer.ReplaceAllowedIps); // `wg set ... allowed-ips` replaces the list
        Assert.Equal(["10.0.0.0/24", "fd00::/64"], peer.AddAllowedIps.Select(p => p.ToString())); // masked, as wireguard-go does
        Assert.Empty(peer.RemoveAllowedIps);
        Assert.Null(peer.Description);
        Assert.DoesNotContain(_privateKey.ToHex(), _log.All);
        Assert.DoesNotContain(_privateKey.ToBase64(), _log.All);
    }

    [Fact]
    public void WgShowDumpAndShowconfMatchTheDevice()
    {
        ConfigureOnePeer();
        var handshake = DateTimeOffset.UtcNow.AddSeconds(-42);
        _device.SetCounters(_peerPublic, handshake, rx: 1111, tx: 2222);

        string dump = WgOk("show", Interface, "dump");
        string[] lines = dump.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal(string.Join('\t', _privateKey.ToBase64(), KeyGenerator.DerivePublicKey(_privateKey).ToBase64(), "1234", "0x20"), lines[0]);
        Assert.Equal(string.Join('\t', _peerPublic.ToBase64(), _psk.ToBase64(), "192.0.2.1:51820", "10.0.0.0/24,fd00::/64",
            handshake.ToUnixTimeSeconds().ToString(), "1111", "2222", "25"), lines[1]);

        string expectedConf =
            "[Interface]\n" +
            "ListenPort = 1234\n" +
            "FwMark = 0x20\n" +
            $"PrivateKey = {_privateKey.ToBase64()}\n" +
            "\n" +
            "[Peer]\n" +
            $"PublicKey = {_peerPublic.ToBase64()}\n" +
            $"PresharedKey = {_psk.ToBase64()}\n" +
            "AllowedIPs = 10.0.0.0/24, fd00::/64\n" +
            "Endpoint = 192.0.2.1:51820\n" +
            "PersistentKeepalive = 25\n";
        Assert.Equal(expectedConf, WgOk("showconf", Interface));
        Assert.Contains(Interface, WgOk("show", "interfaces").Split(' ', '\n'));
    }

    [Fact]
    public void WgSetconfSyncconfAndPeerRemoval()
    {
        string conf = Path.Combine(_temp, "wg.conf");
        File.WriteAllText(conf,
            "[Interface]\n" +
            $"PrivateKey = {_privateKey.ToBase64()}\n" +
            "ListenPort = 7000\n\n" +
            "[Peer]\n" +
            $"PublicKey = {_peerPublic.ToBase64()}\n" +
            "AllowedIPs = 10.1.0.0/16\n" +
            "Endpoint = [fd00::7]:7001\n\n" +
            "[Peer]\n" +
            $"PublicKey = {_peer2Public.ToBase64()}\n" +
            "AllowedIPs = 10.2.0.0/16\n");
        WgOk("setconf", Interface, conf);
        var update = SingleUpdate();
        Assert.True(update.ReplacePeers);
        Assert.Equal((ushort)7000, update.ListenPort);
        Assert.Equal(0u, update.FwMark); // setconf always sends fwmark, 0 when unset
        Assert.Equal([_peerPublic, _peer2Public], update.Peers.Select(p => p.PublicKey));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::7"), 7001), update.Peers[0].Endpoint);

        string dump = WgOk("show", Interface, "dump");
        Assert.Contains("\t[fd00::7]:7001\t10.1.0.0/16\t0\t0\t0\toff", dump);

        WgOk("set", Interface, "peer", _peer2Public.ToBase64(), "remove");
        var removal = Assert.Single(SingleUpdate().Peers);
        Assert.True(removal.Remove);
        Assert.Equal(_peer2Public, removal.PublicKey);
        Assert.Single(WgOk("show", Interface, "peers").Trim().Split('\n'));

        // syncconf computes a diff against `wg showconf` and sends only what changed.
        File.WriteAllText(conf, File.ReadAllText(conf).Replace("10.1.0.0/16", "10.9.0.0/16"));
        WgOk("syncconf", Interface, conf);
        var sync = Assert.Single(_device.Updates);
        Assert.Contains(sync.Peers, p => p.PublicKey == _peerPublic && p.AddAllowedIps.Any(a => a.ToString() == "10.9.0.0/16"));
        Assert.Contains("10.9.0.0/16", WgOk("show", Interface, "allowed-ips"));
    }

    [Fact]
    public void DeviceErrorsReachWgAsErrno()
    {
        _device.FailWith = ConfigResult.Fail(Errno.EADDRINUSE, "port in use");
        var o = Wg("set", Interface, "listen-port", "1");
        Assert.NotEqual(0, o.ExitCode);
        Assert.Contains("Address already in use", o.StdErr);
    }

    [Fact]
    public void RemovingThePrivateKeyHidesIt()
    {
        ConfigureOnePeer();
        string empty = Path.Combine(_temp, "empty");
        File.WriteAllText(empty, "");
        WgOk("set", Interface, "private-key", empty); // wg sends all-zero hex for an empty key file
        Assert.True(_device.Updates.Last().PrivateKey!.Value.IsZero);
        Assert.DoesNotContain("PrivateKey", WgOk("showconf", Interface));
    }
}
