using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using WgSharp.Control.Uapi;
using WgSharp.Keys;
using static WgSharp.Tests.Uapi.ProcessRunner;

namespace WgSharp.Tests.Uapi;

/// <summary>
/// Configures a real wireguard-go (interface wgsugo0, in a throw-away network namespace) and our
/// server (wgsuapi1, in-memory device) identically and compares what they say, at the wg(8)
/// level and byte for byte at the UAPI level, including the errno of malformed requests.
/// </summary>
[SupportedOSPlatform("linux")]
[Trait(TestTiers.Name, TestTiers.Root)]
public sealed class UapiWireguardGoComparisonTests : IDisposable
{
    private const string GoInterface = "wgsugo0";
    private const string OurInterface = "wgsuapi1";
    private readonly string _namespace = "wgsu-cmp" + Environment.ProcessId % 100000;
    private readonly Process _wireguardGo;
    private readonly UapiServer _server;
    private readonly string _temp = Directory.CreateTempSubdirectory("wgsu-").FullName;
    private readonly string _goSocket = UapiProtocol.SocketPathFor(GoInterface);

    public UapiWireguardGoComparisonTests()
    {
        Run("ip", ["netns", "del", _namespace]); // left over from an aborted run, if any
        if (UapiSocketProbe.Probe(_goSocket) == UapiSocketState.Stale) File.Delete(_goSocket); // likewise
        var add = Run("ip", ["netns", "add", _namespace]);
        Assert.True(add.ExitCode == 0, add.StdErr);

        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", _namespace, "wireguard-go", GoInterface }) info.ArgumentList.Add(a);
        info.Environment["WG_PROCESS_FOREGROUND"] = "1";
        info.Environment["LOG_LEVEL"] = "error";
        _wireguardGo = Process.Start(info)!;
        _wireguardGo.OutputDataReceived += (_, _) => { };
        _wireguardGo.ErrorDataReceived += (_, _) => { };
        _wireguardGo.BeginOutputReadLine();
        _wireguardGo.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        // Until it answers, not until the file exists: a file left by an aborted run exists before wireguard-go listens.
        while (!UapiSocketProbe.IsServing(_goSocket) && DateTime.UtcNow < deadline && !_wireguardGo.HasExited) Thread.Sleep(50);
        Assert.True(UapiSocketProbe.IsServing(_goSocket), "wireguard-go does not answer on its socket");

        _server = UapiServer.Start(new FakeDeviceControl(OurInterface), new ListLogger());
    }

    public void Dispose()
    {
        _server.Dispose();
        if (!_wireguardGo.HasExited)
        {
            Run("kill", ["-TERM", _wireguardGo.Id.ToString()]); // lets it remove its socket
            if (!_wireguardGo.WaitForExit(TimeSpan.FromSeconds(5))) _wireguardGo.Kill();
        }
        _wireguardGo.Dispose();
        if (File.Exists(_goSocket)) File.Delete(_goSocket);
        Run("ip", ["netns", "del", _namespace]);
        Directory.Delete(_temp, recursive: true);
    }

    private string WriteConfig()
    {
        var sb = new StringBuilder();
        sb.Append("[Interface]\n").Append($"PrivateKey = {KeyGenerator.GeneratePrivateKey().ToBase64()}\n")
          .Append("ListenPort = 51999\nFwMark = 0x1234\n");
        string[][] peers =
        [
            ["10.1.0.0/16, fd01::/48, 192.168.7.9/24", "192.0.2.10:51820", "25"],
            ["10.2.0.5/32", "[fd00::1234:0:0:1]:7", "0"],
            ["0.0.0.0/0, ::/0", "[::ffff:192.0.2.33]:9", "65535"],
            ["10.3.0.0/24", "", ""],
        ];
        foreach (var p in peers)
        {
            sb.Append("\n[Peer]\n").Append($"PublicKey = {KeyGenerator.DerivePublicKey(KeyGenerator.GeneratePrivateKey()).ToBase64()}\n");
            sb.Append($"PresharedKey = {KeyGenerator.GeneratePresharedKey().ToBase64()}\n");
            sb.Append($"AllowedIPs = {p[0]}\n");
            if (p[1].Length > 0) sb.Append($"Endpoint = {p[1]}\n");
            if (p[2].Length > 0) sb.Append($"PersistentKeepalive = {p[2]}\n");
        }
        string path = Path.Combine(_temp, "wg.conf");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void SameConfigurationGivesTheSameShowconfDumpAndGetReply()
    {
        string conf = WriteConfig();
        WgOk("setconf", GoInterface, conf);
        WgOk("setconf", OurInterface, conf);

        Assert.Equal(NormaliseShowconf(WgOk("showconf", GoInterface)), NormaliseShowconf(WgOk("showconf", OurInterface)));
        Assert.Equal(NormaliseDump(WgOk("show", GoInterface, "dump")), NormaliseDump(WgOk("show", OurInterface, "dump")));
        Assert.Equal(NormaliseGet(RawExchange(_goSocket, "get=1\n\n")),
                     NormaliseGet(RawExchange(UapiProtocol.SocketPathFor(OurInterface), "get=1\n\n")));

        // And our client reads wireguard-go's reply into the same status as ours.
        var go = UapiClient.ForInterface(GoInterface).Get();
        var ours = UapiClient.ForInterface(OurInterface).Get();
        Assert.Equal(4, go.Peers.Count);
        Assert.Equal((ushort)51999, go.ListenPort);
        Assert.Equal(go.PrivateKey, ours.PrivateKey);
        Assert.Equal(go.PublicKey, ours.PublicKey);
        Assert.Equal(go.FwMark, ours.FwMark);
        Assert.Equal(
            go.Peers.OrderBy(p => p.PublicKey.ToHex()).Select(p => (p.PublicKey, p.PresharedKey, p.Endpoint, p.PersistentKeepalive, Ips: string.Join(",", p.AllowedIps.Select(a => a.ToString()).Order()))),
            ours.Peers.OrderBy(p => p.PublicKey.ToHex()).Select(p => (p.PublicKey, p.PresharedKey, p.Endpoint, p.PersistentKeepalive, Ips: string.Join(",", p.AllowedIps.Select(a => a.ToString()).Order()))));
    }

    public static TheoryData<string> SetBodies() => new()
    {
        "listen_port=51998\n",
        "listen_port=abc\n",
        "listen_port=65536\n",
        "listen_port=-1\n",
        "fwmark=-1\n",
        "fwmark=4294967296\n",
        "fwmark=0\n",
        "bogus=1\n",
        "=1\n",
        "garbage\n",
        "private_key=xyz\n",
        "private_key=" + new string('0', 64) + "\n",
        "private_key=" + new string('0', 62) + "\n",
        "replace_peers=false\n",
        "replace_peers=true\n",
        "listen_port=51997\r\nfwmark=5\r\n",
        "protocol_version=1\n",
        "allowed_ip=10.0.0.0/8\n",
        "public_key=zz\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=example.com:51820\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=fd00::1:51820\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=[192.0.2.1]:51820\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=192.0.2.1\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=192.0.2.1:65536\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=192.0.2.01:5\n",
        "public_key=" + UapiSetParserTests.HexA + "\nendpoint=[fd00::1]:5\n",
        "public_key=" + UapiSetParserTests.HexA + "\nallowed_ip=10.0.0.0\n",
        "public_key=" + UapiSetParserTests.HexA + "\nallowed_ip=10.0.0.0/33\n",
        "public_key=" + UapiSetParserTests.HexA + "\nallowed_ip=10.0.0.7/8\n",
        "public_key=" + UapiSetParserTests.HexA + "\nallowed_ip=fd00::/129\n",
        "public_key=" + UapiSetParserTests.HexA + "\nprotocol_version=2\n",
        "public_key=" + UapiSetParserTests.HexA + "\nprotocol_version=1\n",
        "public_key=" + UapiSetParserTests.HexA + "\npersistent_keepalive_interval=65536\n",
        "public_key=" + UapiSetParserTests.HexA + "\npersistent_keepalive_interval=0\n",
        "public_key=" + UapiSetParserTests.HexA + "\nremove=false\n",
        "public_key=" + UapiSetParserTests.HexA + "\nremove=true\n",
        "public_key=" + UapiSetParserTests.HexA + "\nupdate_only=no\n",
        "public_key=" + UapiSetParserTests.HexA + "\nupdate_only=true\n",
        "public_key=" + UapiSetParserTests.HexA + "\nreplace_allowed_ips=1\n",
        "public_key=" + UapiSetParserTests.HexA + "\npreshared_key=12\n",
        "public_key=" + UapiSetParserTests.HexA + "\nlisten_port=1\n",
        "public_key=" + UapiSetParserTests.HexA + "\nrx_bytes=1\n",
        "public_key=" + UapiSetParserTests.HexA + "\nno equals sign\n",
    };

    [Theory]
    [MemberData(nameof(SetBodies))]
    public void MalformedAndValidSetsGetTheSameErrno(string body)
    {
        string request = "set=1\n" + body + "\n";
        Assert.Equal(RawExchange(_goSocket, request), RawExchange(UapiProtocol.SocketPathFor(OurInterface), request));
    }

    [Fact]
    public void TrailingByteAfterGetGetsTheSameErrno() =>
        Assert.Equal(RawExchange(_goSocket, "get=1\nx"), RawExchange(UapiProtocol.SocketPathFor(OurInterface), "get=1\nx"));

    /// <summary>Sends a request on a fresh connection and returns the reply up to its blank line.</summary>
    private static string RawExchange(string socketPath, string request)
    {
        using var s = new UapiTestSocket(socketPath);
        s.Send(request);
        return s.ReadReply();
    }

    /// <summary>Peer order (a Go map) and allowed-IP order (a trie) differ by design; everything else must match.</summary>
    private static string NormaliseGet(string reply)
    {
        var device = new List<string>();
        var peers = new List<List<string>>();
        var lines = reply.TrimEnd('\n').Split('\n');
        Assert.Equal("errno=0", lines[^1]);
        foreach (string line in lines[..^1])
        {
            if (line.StartsWith("public_key=", StringComparison.Ordinal)) peers.Add([]);
            (peers.Count == 0 ? device : peers[^1]).Add(line);
        }
        var sortedPeers = peers.Select(p => string.Join("\n", p.Where(l => !l.StartsWith("allowed_ip=", StringComparison.Ordinal))
            .Concat(p.Where(l => l.StartsWith("allowed_ip=", StringComparison.Ordinal)).Order())));
        return string.Join("\n", device) + "\n" + string.Join("\n", sortedPeers.Order());
    }

    private static string NormaliseShowconf(string conf) =>
        string.Join("\n\n", conf.TrimEnd('\n').Split("\n\n").Select(section => string.Join("\n", section.Split('\n').Select(SortAllowedIps))).Order());

    private static string SortAllowedIps(string line) =>
        line.StartsWith("AllowedIPs = ", StringComparison.Ordinal)
            ? "AllowedIPs = " + string.Join(", ", line["AllowedIPs = ".Length..].Split(", ").Order())
            : line;

    private static string NormaliseDump(string dump)
    {
        var lines = dump.TrimEnd('\n').Split('\n');
        var peers = lines.Skip(1).Select(l =>
        {
            var f = l.Split('\t');
            f[3] = string.Join(",", f[3].Split(',').Order());
            return string.Join("\t", f);
        });
        return lines[0] + "\n" + string.Join("\n", peers.Order());
    }
}
