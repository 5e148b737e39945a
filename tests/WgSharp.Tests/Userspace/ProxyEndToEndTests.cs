using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// `wgsharp proxy` and `wgsharp forward` as a user runs them: the command as user nobody (no capability, no TUN), a
/// Debian wireguard-go peer in a namespace with python3's http.server and a DNS responder behind it, and real
/// clients (curl) on the host side.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class ProxyEndToEndTests
{
    internal const int HttpPort = 8000;
    internal static readonly TimeSpan Ready = TimeSpan.FromSeconds(60);

    [Fact]
    public void CurlFetchesThroughSocks5AndHttpProxyWithTunnelDnsPcapAndMetrics()
    {
        using var peer = new TunnelPeerNamespace();
        var (directory, sha256) = WebRoot(2 * 1024 * 1024 + 13);
        using var http = NamespaceServerProcess.HttpServer(peer.Namespace, directory, HttpPort);
        string name = $"files-{Guid.NewGuid():N}"[..20] + ".wgsharp-e2e.test";
        using var dns = NamespaceServerProcess.DnsResponder(peer.Namespace, new Dictionary<string, string> { [name] = TunnelPeerNamespace.PeerAddress });
        // The host's resolver does not know the name: an answer can only come through the tunnel.
        Assert.NotEqual(0, CommandRunner.Run("getent", "hosts", name).ExitCode);

        string conf = WriteConf(peer, $"DNS = {TunnelPeerNamespace.PeerAddress}");
        string pcap = Path.Combine(UnprivilegedProgram.SharedDirectory, "..", "home", $"proxy-{Guid.NewGuid():N}.pcap");
        int metricsPort = FreeTcpPort();
        string control = Path.Combine(UnprivilegedProgram.SharedDirectory, "..", "home", $"p{Environment.ProcessId % 100000}.sock");
        using var proxy = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll,
            ["proxy", conf, "--socks5", "0", "--http", "0", "--pcap", pcap, "--metrics", Invariant(metricsPort), "--control", control]);
        Assert.True(proxy.WaitForErrorText("metrics", Ready), proxy.StandardError);
        var socks = ReadyEndPoint(proxy, "socks5");
        var httpProxy = ReadyEndPoint(proxy, "http");

        Assert.Equal(sha256, Curl(["--socks5-hostname", socks.ToString(), $"http://{name}:{HttpPort}/blob.bin"]));
        Assert.Contains($"query {name} 1", dns.Output);
        Assert.Equal(sha256, Curl(["-x", $"http://{httpProxy}", $"http://{TunnelPeerNamespace.PeerAddress}:{HttpPort}/blob.bin"]));

        string metrics = Scrape(metricsPort);
        // Services are named as configured (port 0 here), so a series keeps its name across restarts.
        Assert.Contains("wgsharp_proxy_connections_total{service=\"socks5 127.0.0.1:0\"} 1\n", metrics);
        Assert.Contains("wgsharp_proxy_connections_total{service=\"http 127.0.0.1:0\"} 1\n", metrics);
        Assert.Contains("wgsharp_proxy_bytes_total{service=\"socks5 127.0.0.1:0\",direction=\"out\"}", metrics);

        // The control socket answers `wgsharp show PATH` (as wg show would the interface's socket).
        var show = CommandRunner.Run("dotnet", [UnprivilegedProgram.CliDll, "show", control, "peers"], TimeSpan.FromSeconds(60));
        Assert.True(show.ExitCode == 0, show.StandardError);
        Assert.Equal(peer.PeerPublicKey.ToBase64(), show.StandardOutput.Trim());
        var json = CommandRunner.Run("dotnet", [UnprivilegedProgram.CliDll, "show", control, "json"], TimeSpan.FromSeconds(60));
        Assert.True(json.ExitCode == 0, json.StandardError);
        Assert.Contains($"\"interface\": \"{Path.GetFileNameWithoutExtension(control)}\"", json.StandardOutput);

        CommandRunner.Run("kill", "-TERM", Invariant(proxy.Id)).EnsureSuccess();
        var result = proxy.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.Equal(0, result.ExitCode);
        Assert.False(File.Exists(control));

        var tcpdump = CommandRunner.Run("tcpdump", "-n", "-r", pcap);
        Assert.True(tcpdump.ExitCode == 0, tcpdump.StandardError);
        Assert.Contains($"{TunnelPeerNamespace.ProbeAddress}", tcpdump.StandardOutput);
        Assert.Contains($"{TunnelPeerNamespace.PeerAddress}.{HttpPort}", tcpdump.StandardOutput);
        Assert.Contains($"{TunnelPeerNamespace.PeerAddress}.53", tcpdump.StandardOutput);
    }

    [Fact]
    public async Task LocalTcpAndUdpAndRemoteTcpForwards()
    {
        using var peer = new TunnelPeerNamespace();
        using var echo = new KernelTcpServer(peer.Namespace, KernelTcpServer.Echo());
        using var udpEcho = new KernelUdpEcho(peer.Namespace);
        using var localService = new TcpListener(IPAddress.Loopback, 0);
        localService.Start();
        int localPort = ((IPEndPoint)localService.LocalEndpoint).Port;
        const int RemotePort = 2222;

        string conf = WriteConf(peer, "");
        using var forward = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll,
            ["forward", conf, $"tcp:0:{echo.EndPoint}", $"udp:0:{udpEcho.EndPoint}", $"remote-tcp:{RemotePort}:127.0.0.1:{localPort}"]);
        Assert.True(forward.WaitForErrorText("remote-tcp", Ready), forward.StandardError);
        var local = ReadyEndPoint(forward, "tcp");
        var localUdp = ReadyEndPoint(forward, "udp");

        // Local: a host client reaches the kernel echo behind the tunnel.
        using (var client = new TcpClient())
        {
            client.Connect(local);
            var payload = RandomNumberGenerator.GetBytes(300_000);
            var stream = client.GetStream();
            var send = stream.WriteAsync(payload).AsTask();
            var back = new byte[payload.Length];
            stream.ReadExactly(back);
            await send;
            Assert.Equal(payload, back);
        }

        // UDP: datagrams to the local port come back from the kernel echo behind the tunnel (the first may race the
        // handshake: the client sends again until one answer comes, then checks ten in a row).
        using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            udp.Connect(localUdp);
            udp.Client.ReceiveTimeout = 2000;
            var from = new IPEndPoint(IPAddress.Any, 0);
            bool answered = false;
            for (int attempt = 0; attempt < 15 && !answered; attempt++)
            {
                udp.Send("first"u8.ToArray());
                try { answered = udp.Receive(ref from).AsSpan().SequenceEqual("first"u8); }
                catch (SocketException) { }
            }
            Assert.True(answered, forward.StandardError);
            for (int i = 0; i < 10; i++)
            {
                var datagram = RandomNumberGenerator.GetBytes(1000 + i);
                udp.Send(datagram);
                byte[] back;
                do back = udp.Receive(ref from);
                while (back.AsSpan().SequenceEqual("first"u8)); // a late answer to a retried first datagram
                Assert.Equal(datagram, back);
            }
        }

        // Remote: a client in the peer's namespace reaches our tunnel address, and so the service on our loopback.
        var served = Task.Run(() =>
        {
            using var accepted = localService.AcceptTcpClient();
            var s = accepted.GetStream();
            var line = new byte[5];
            s.ReadExactly(line);
            s.Write("pong:"u8);
            s.Write(line);
        });
        string reply = peer.Namespace.Run(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(new IPEndPoint(IPAddress.Parse(TunnelPeerNamespace.ProbeAddress), RemotePort));
            socket.Send("hello"u8);
            var buffer = new byte[10];
            int total = 0;
            while (total < buffer.Length)
            {
                int n = socket.Receive(buffer.AsSpan(total));
                if (n == 0) break;
                total += n;
            }
            return Encoding.ASCII.GetString(buffer, 0, total);
        });
        await served.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("pong:hello", reply);
    }

    [Fact]
    public void SighupAppliesANewPeerAndKeyAndAMalformedConfChangesNothing()
    {
        using var first = new TunnelPeerNamespace();
        using var second = new TunnelPeerNamespace();
        var (firstRoot, firstSha) = WebRoot(100_000);
        var (secondRoot, secondSha) = WebRoot(100_001);
        using var firstHttp = NamespaceServerProcess.HttpServer(first.Namespace, firstRoot, HttpPort);
        using var secondHttp = NamespaceServerProcess.HttpServer(second.Namespace, secondRoot, HttpPort);

        string conf = WriteConf(first, "");
        using var proxy = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll, ["proxy", conf, "--socks5", "0"]);
        Assert.True(proxy.WaitForErrorText("ready", Ready), proxy.StandardError);
        var socks = ReadyEndPoint(proxy, "socks5");
        Assert.DoesNotContain("ignored", proxy.StandardError);
        string url = $"http://{TunnelPeerNamespace.PeerAddress}:{HttpPort}/blob.bin";
        Assert.Equal(firstSha, Curl(["--socks5-hostname", socks.ToString(), url]));

        File.WriteAllText(conf, ConfText(second, ""));
        CommandRunner.Run("kill", "-HUP", Invariant(proxy.Id)).EnsureSuccess();
        Assert.True(proxy.WaitForErrorText("keys and peers applied", TimeSpan.FromSeconds(20)), proxy.StandardError);
        Assert.Equal(secondSha, Curl(["--socks5-hostname", socks.ToString(), url]));

        File.WriteAllText(conf, ConfText(first, "") + "\nBogusKey = 1\n");
        CommandRunner.Run("kill", "-HUP", Invariant(proxy.Id)).EnsureSuccess();
        Assert.True(proxy.WaitForErrorText("nothing changed", TimeSpan.FromSeconds(20)), proxy.StandardError);
        Assert.Contains($"reload: {conf}:10: Line unrecognized: `BogusKey=1'; nothing changed", proxy.StandardError);
        Assert.Equal(secondSha, Curl(["--socks5-hostname", socks.ToString(), url]));

        // A connection open through a peer that stays keeps working across a reload; a change only a restart applies
        // is named, and the rest still applied.
        using var echo = new KernelTcpServer(second.Namespace, KernelTcpServer.Echo());
        using var open = Socks5Connect(socks, new IPEndPoint(TunnelPeerNamespace.PeerIp, echo.Port));
        AssertEchoes(open, "before");
        File.WriteAllText(conf, ConfText(second, "MTU = 1300"));
        CommandRunner.Run("kill", "-HUP", Invariant(proxy.Id)).EnsureSuccess();
        Assert.True(proxy.WaitForErrorText("MTU changed: not applied, restart to apply", TimeSpan.FromSeconds(20)), proxy.StandardError);
        AssertEchoes(open, "after");

        // The [Proxy] limits: a bad one fails the whole reload with its line, a changed one is named as needing a restart.
        File.WriteAllText(conf, ConfText(second, "") + "\n[Proxy]\nMaxClients = 0\n");
        CommandRunner.Run("kill", "-HUP", Invariant(proxy.Id)).EnsureSuccess();
        Assert.True(proxy.WaitForErrorText("nothing changed", TimeSpan.FromSeconds(20), count: 2), proxy.StandardError);
        Assert.Contains($"reload: {conf}:11: MaxClients 0: not a number from 1 to 65536; nothing changed", proxy.StandardError);
        File.WriteAllText(conf, ConfText(second, "") + "\n[Proxy]\nHandshakeTimeout = 5\n");
        CommandRunner.Run("kill", "-HUP", Invariant(proxy.Id)).EnsureSuccess();
        Assert.True(proxy.WaitForErrorText("limits changed: not applied, restart to apply", TimeSpan.FromSeconds(20)), proxy.StandardError);
        AssertEchoes(open, "still");
    }

    [Fact]
    public void ABadConfLineIsOneLineWithItsNumberAndNothingStarts()
    {
        string conf = Path.Combine(UnprivilegedProgram.SharedDirectory, $"bad-{Guid.NewGuid():N}.conf");
        File.WriteAllText(conf, $"[Interface]\nPrivateKey = {Convert.ToBase64String(new byte[32].Select(_ => (byte)9).ToArray())}\nAddress = 10.77.0.2/32\nMTU = lots\n");
        var result = UnprivilegedProgram.Run(UnprivilegedProgram.CliDll, ["proxy", conf, "--socks5", "0"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"wgsharp: {conf}:4: MTU lots: not a number from 576 to 65535", result.StandardError.TrimEnd('\n'));
    }

    [Fact]
    public void APortInUseIsOneLineAndExitOne()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string conf = Path.Combine(UnprivilegedProgram.SharedDirectory, $"busy-{Guid.NewGuid():N}.conf");
        File.WriteAllText(conf, $"[Interface]\nPrivateKey = {Convert.ToBase64String(new byte[32].Select(_ => (byte)9).ToArray())}\nAddress = 10.77.0.2/32\n");
        var result = UnprivilegedProgram.Run(UnprivilegedProgram.CliDll, ["proxy", conf, "--socks5", "0", "--http", Invariant(port)], TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(" info: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count); // the SOCKS5 proxy's ready line, then the one error
        Assert.EndsWith(" ready", lines[0]);
        Assert.StartsWith("wgsharp: ", lines[1]);
        Assert.Contains(Invariant(port), lines[1]);
    }

    /// <summary>A SOCKS5 CONNECT (no authentication) to an IPv4 target, written out by hand: the connected socket.</summary>
    private static Socket Socks5Connect(IPEndPoint proxy, IPEndPoint target)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 30_000 };
        socket.Connect(proxy);
        socket.Send([5, 1, 0]);
        Assert.Equal(new byte[] { 5, 0 }, ReceiveExactly(socket, 2));
        byte[] request = [5, 1, 0, 1, .. target.Address.GetAddressBytes(), (byte)(target.Port >> 8), (byte)target.Port];
        socket.Send(request);
        Assert.Equal(0, ReceiveExactly(socket, 10)[1]); // succeeded; bound address IPv4
        return socket;
    }

    private static void AssertEchoes(Socket socket, string text)
    {
        socket.Send(Encoding.ASCII.GetBytes(text));
        Assert.Equal(text, Encoding.ASCII.GetString(ReceiveExactly(socket, text.Length)));
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        for (int total = 0; total < count;)
        {
            int n = socket.Receive(buffer.AsSpan(total));
            if (n == 0) throw new Xunit.Sdk.XunitException($"connection closed after {total} of {count} bytes");
            total += n;
        }
        return buffer;
    }

    internal static string ConfText(TunnelPeerNamespace peer, string extraInterface) => $"""
        [Interface]
        PrivateKey = {peer.ProbePrivateKey.ToBase64()}
        Address = {TunnelPeerNamespace.ProbeAddress}/24
        {extraInterface}

        [Peer]
        PublicKey = {peer.PeerPublicKey.ToBase64()}
        Endpoint = {peer.OuterPeerAddress}:{peer.ListenPort}
        AllowedIPs = 10.77.0.0/24
        """;

    internal static string WriteConf(TunnelPeerNamespace peer, string extraInterface)
    {
        string conf = Path.Combine(UnprivilegedProgram.SharedDirectory, $"proxy-{Guid.NewGuid():N}.conf");
        File.WriteAllText(conf, ConfText(peer, extraInterface));
        return conf;
    }

    /// <summary>The bound address of the service whose "wgsharp: KIND ADDR[ -> TARGET] ready" line stderr has.</summary>
    internal static IPEndPoint ReadyEndPoint(RunningProgram program, string kind)
    {
        foreach (string line in program.StandardError.Split('\n'))
        {
            if (!line.StartsWith($"wgsharp: {kind} ", StringComparison.Ordinal) || !line.EndsWith(" ready", StringComparison.Ordinal)) continue;
            return IPEndPoint.Parse(line.Split(' ')[2]);
        }
        throw new Xunit.Sdk.XunitException($"no ready line for {kind}:\n{program.StandardError}");
    }

    /// <summary>curl as user nobody; the sha256 of what it fetched.</summary>
    internal static string Curl(IEnumerable<string> arguments)
    {
        string output = Path.Combine(UnprivilegedProgram.SharedDirectory, "..", "home", $"curl-{Guid.NewGuid():N}");
        var result = CommandRunner.Run("setpriv", [$"--reuid={UnprivilegedProgram.NobodyId}", $"--regid={UnprivilegedProgram.NobodyId}", "--clear-groups",
            "curl", "-sS", "--fail", "--max-time", "60", "-o", output, .. arguments], TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, $"curl: exit {result.ExitCode}: {result.StandardError}");
        try { return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(output))); }
        finally { File.Delete(output); }
    }

    internal static string Scrape(int port)
    {
        using var client = new HttpClient();
        return client.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult();
    }

    internal static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static (string Directory, string Sha256) WebRoot(int size)
    {
        var directory = Path.Combine(UnprivilegedProgram.SharedDirectory, $"www-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var blob = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(Path.Combine(directory, "blob.bin"), blob);
        return (directory, Convert.ToHexStringLower(SHA256.HashData(blob)));
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
