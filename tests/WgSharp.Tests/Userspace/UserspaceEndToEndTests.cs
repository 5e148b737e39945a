using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// Userspace mode end to end, as it is meant to be used: the probe (tests/WgSharp.UserspaceProbe) and the sample
/// (samples/HttpThroughTunnel) run as user nobody in the root namespace, with no capability and no TUN, and talk through
/// a real WireGuard peer (Debian's wireguard-go, or wgsharp in TUN mode) to the Linux kernel's TCP/UDP and to real
/// servers (python3's http.server, a DNS responder) in the peer's namespace.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class UserspaceEndToEndTests(ITestOutputHelper output)
{
    private const long HundredMegabytes = 100L * 1024 * 1024;
    private const int HttpPort = 8000;

    // ---- 1. the sample ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SampleFetchesFileFromHttpServerBehindWireGuardGo(bool fastPaths)
    {
        using var peer = new TunnelPeerNamespace();
        var (directory, sha256) = WebRoot(3 * 1024 * 1024 + 17);
        using var http = NamespaceServerProcess.HttpServer(peer.Namespace, directory, HttpPort);

        var config = Path.Combine(UnprivilegedProgram.SharedDirectory, $"wg-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, $"""
            [Interface]
            PrivateKey = {peer.ProbePrivateKey.ToBase64()}
            Address = {TunnelPeerNamespace.ProbeAddress}/24

            [Peer]
            PublicKey = {peer.PeerPublicKey.ToBase64()}
            Endpoint = {peer.OuterPeerAddress}:{peer.ListenPort}
            AllowedIPs = 10.77.0.0/24
            """);
        var arguments = new List<string> { "--config", config };
        if (!fastPaths)
            arguments.Add("--no-fast-paths");
        arguments.Add($"http://{TunnelPeerNamespace.PeerAddress}:{HttpPort}/blob.bin");

        var result = UnprivilegedProgram.Run(UnprivilegedProgram.SampleDll, arguments, TimeSpan.FromSeconds(90),
            TunnelPeerNamespace.ProbeEnvironment(fastPaths));
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result + "\n--- wireguard-go ---\n" + peer.PeerLog);
        Assert.Contains("status 200 OK", result.Lines);
        Assert.Contains($"sha256 {sha256}", result.Lines);
    }

    // ---- 2. bulk data both ways against the kernel ----

    [Theory]
    [InlineData(FarEnd.WireGuardGo, true)]
    [InlineData(FarEnd.WireGuardGo, false)]
    [InlineData(FarEnd.WgSharpTun, true)]
    public void Download100MegabytesAndUpload100MegabytesWithHalfClose(FarEnd farEnd, bool fastPaths)
    {
        using var peer = new TunnelPeerNamespace(farEnd);
        string expected = ProbePattern.Sha256(HundredMegabytes);

        using (var source = new KernelTcpServer(peer.Namespace, KernelTcpServer.SendPattern(HundredMegabytes)))
        {
            var download = Probe(peer, fastPaths, ["download", source.EndPoint, Invariant(HundredMegabytes)], 180).Result("download");
            Report("download", download);
            Assert.Equal(Invariant(HundredMegabytes), download["bytes"]);
            Assert.Equal(expected, download["sha256"]);
        }

        var received = new List<string>();
        using (var sink = new KernelTcpServer(peer.Namespace, KernelTcpServer.HashAndReply(received)))
        {
            var upload = Probe(peer, fastPaths, ["upload", sink.EndPoint, Invariant(HundredMegabytes)], 180).Result("upload");
            Report("upload", upload);
            Assert.Equal(expected, upload["sha256"]);
            // The server hashed until our FIN (ShutdownWrite) and answered on the half still open.
            Assert.Equal(expected, upload["reply"]);
            sink.WaitForHandlers(TimeSpan.FromSeconds(10));
            Assert.Equal([$"{HundredMegabytes} {expected}"], received);
        }
    }

    /// <summary>Half-close alone, small: the server answers only after it read our FIN, on the half still open.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HalfCloseThenReadTheReply(bool fastPaths)
    {
        const long Bytes = 1000;
        using var peer = new TunnelPeerNamespace();
        var received = new List<string>();
        using var sink = new KernelTcpServer(peer.Namespace, KernelTcpServer.HashAndReply(received));
        var upload = Probe(peer, fastPaths, ["upload", sink.EndPoint, Invariant(Bytes)], 30).Result("upload");
        sink.WaitForHandlers(TimeSpan.FromSeconds(10));
        Assert.Equal([$"{Bytes} {ProbePattern.Sha256(Bytes)}"], received);
        Assert.Equal(ProbePattern.Sha256(Bytes), upload["reply"]);
    }

    // ---- 3. the kernel as the client ----

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task KernelClientConnectsToProbeListener(bool fastPaths, bool listenOnTheAddress)
    {
        const int Port = 7000;
        const long Bytes = 2 * 1024 * 1024 + 3;
        using var peer = new TunnelPeerNamespace();
        var arguments = peer.ProbeOptions(fastPaths, "--timeout", "60", "--wake", TunnelPeerNamespace.PeerAddress);
        arguments.AddRange(["serve", Invariant(Port), "sha256", "1"]);
        if (listenOnTheAddress)
            arguments.Add(TunnelPeerNamespace.ProbeAddress);
        using var probe = UnprivilegedProgram.Start(UnprivilegedProgram.ProbeDll, arguments, TunnelPeerNamespace.ProbeEnvironment(fastPaths));
        // Not Assert.True(..., probe.WaitForExit(...)): the message argument is evaluated even when the line came, and
        // WaitForExit(Zero) SIGTERMs a running probe, which then stops listening before the kernel connects.
        if (probe.WaitForLine("listening", TimeSpan.FromSeconds(30)) is null)
            Assert.Fail(probe.WaitForExit(TimeSpan.Zero).ToString());

        string reply;
        // Only the socket must be made inside the namespace; the exchange is async and bounded.
        using (var client = peer.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)))
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                reply = await KernelClientExchangeAsync(client, new IPEndPoint(IPAddress.Parse(TunnelPeerNamespace.ProbeAddress), Port), Bytes, deadline.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"the kernel client failed: {e.Message}; the probe:\n{probe.WaitForExit(TimeSpan.Zero)}");
            }
        }

        var result = probe.WaitForExit(TimeSpan.FromSeconds(30));
        output.WriteLine(result.ToString());
        AssertUnprivileged(result);
        Assert.Equal(ProbePattern.Sha256(Bytes), reply);
        var served = result.Result("serve");
        Assert.Equal(Invariant(Bytes), served["bytes"]);
        Assert.StartsWith(TunnelPeerNamespace.PeerAddress + ":", served["remote"]);
    }

    /// <summary>Connects, sends <paramref name="bytes"/> of the pattern, half-closes and returns the text answered.</summary>
    private static async Task<string> KernelClientExchangeAsync(Socket client, IPEndPoint server, long bytes, CancellationToken cancellationToken)
    {
        await client.ConnectAsync(server, cancellationToken);
        for (long sent = 0; sent < bytes;)
            sent += await client.SendAsync(ProbePattern.Block.AsMemory(0, (int)Math.Min(ProbePattern.Block.Length, bytes - sent)), cancellationToken);
        client.Shutdown(SocketShutdown.Send);
        var answer = new MemoryStream();
        var buffer = new byte[256];
        for (int read; (read = await client.ReceiveAsync(buffer, cancellationToken)) > 0;)
            answer.Write(buffer, 0, read);
        return Encoding.ASCII.GetString(answer.ToArray()).Trim();
    }

    // ---- 4. failures, as a kernel socket would report them ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConnectToPortWithoutListenerIsRefused(bool fastPaths)
    {
        using var peer = new TunnelPeerNamespace();
        var result = Probe(peer, fastPaths, ["download", $"{TunnelPeerNamespace.PeerAddress}:9", "1"], 30);
        Assert.Equal("ConnectionRefused", Error(result));
    }

    [Fact]
    public void ConnectTimesOutWhenThePeerIsGone()
    {
        using var peer = new TunnelPeerNamespace();
        using var server = new KernelTcpServer(peer.Namespace, KernelTcpServer.SendPattern(1000));
        var arguments = peer.ProbeOptions(true, "--timeout", "10");
        arguments.AddRange(["download", server.EndPoint, "1000"]);
        using var probe = UnprivilegedProgram.Start(UnprivilegedProgram.ProbeDll, arguments);
        peer.StopPeer(); // while the probe starts: its handshake and SYNs go unanswered
        var result = probe.WaitForExit(TimeSpan.FromSeconds(40));
        output.WriteLine(result.ToString());
        AssertUnprivileged(result);
        Assert.Equal("TimedOut", Error(result));
        Assert.Equal(0, server.AcceptedCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ResetMidTransferIsConnectionReset(bool fastPaths)
    {
        using var peer = new TunnelPeerNamespace();
        using var server = new KernelTcpServer(peer.Namespace, KernelTcpServer.SendThenReset(8 * 1024 * 1024));
        var result = Probe(peer, fastPaths, ["download", server.EndPoint, "0"], 60);
        Assert.Equal("ConnectionReset", Error(result));
    }

    /// <summary>1,000 connections at once to a kernel echo server, each then used; the probe reports its memory per connection.</summary>
    [Fact]
    public void ThousandConcurrentConnections()
    {
        const int Connections = 1000;
        using var peer = new TunnelPeerNamespace();
        using var server = new KernelTcpServer(peer.Namespace, KernelTcpServer.Echo(), backlog: 1024);
        var result = Probe(peer, true, ["connect-many", server.EndPoint, Invariant(Connections)], 120);
        var idle = result.Result("connect-many");
        var used = result.Result("connect-many-echo");
        output.WriteLine($"idle: {idle["idle-managed-bytes-per-connection"]} managed bytes, {idle["idle-working-set-bytes-per-connection"]} " +
            $"working-set bytes per connection (target <= 16384); after one byte each way: {used["used-managed-bytes-per-connection"]} managed, " +
            $"{used["used-working-set-bytes-per-connection"]} working set");
        Assert.Equal(Invariant(Connections), used["echoed"]);
        Assert.Equal(Connections, server.AcceptedCount);
    }

    // ---- 5. UDP, ICMP, DNS ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UdpEchoThroughTunnel(bool fastPaths)
    {
        const int Count = 50;
        using var peer = new TunnelPeerNamespace();
        using var echo = new KernelUdpEcho(peer.Namespace);
        var result = Probe(peer, fastPaths, ["udp-echo", echo.EndPoint, Invariant(Count), "1200"], 60).Result("udp-echo");
        output.WriteLine($"udp echo: {result["received"]}/{Count}, average RTT {result["rtt-avg-ms"]} ms");
        // A veth does not lose datagrams; allow one for the first one racing the handshake.
        Assert.InRange(int.Parse(result["received"], CultureInfo.InvariantCulture), Count - 1, Count);
        // Bound to every interface address (0.0.0.0), it sent from its one address.
        Assert.Equal(TunnelPeerNamespace.ProbeAddress, echo.LastSender?.Address.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PingThroughTunnel(bool fastPaths)
    {
        using var peer = new TunnelPeerNamespace();
        var result = Probe(peer, fastPaths, ["ping", TunnelPeerNamespace.PeerAddress], 30).Result("ping");
        Assert.Equal("3", result["answered"]);
    }

    /// <summary>
    /// A name that exists only in the DNS server behind the tunnel (a fresh name under .test, which no host resolver
    /// knows) resolves and is fetched by name; the tunnel's DNS server saw the query; an unknown name is HostNotFound.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NamesResolveThroughTheTunnelsDnsServer(bool fastPaths)
    {
        string name = $"files-{Guid.NewGuid():N}".Substring(0, 20) + ".wgsharp-e2e.test";
        using var peer = new TunnelPeerNamespace();
        var (directory, sha256) = WebRoot(200_000);
        using var http = NamespaceServerProcess.HttpServer(peer.Namespace, directory, HttpPort);
        using var dns = NamespaceServerProcess.DnsResponder(peer.Namespace, new Dictionary<string, string> { [name] = TunnelPeerNamespace.PeerAddress });

        var fetch = Probe(peer, fastPaths, ["fetch", $"http://{name}:{HttpPort}/blob.bin"], 60, "--dns", TunnelPeerNamespace.PeerAddress).Result("fetch");
        Assert.Equal("200", fetch["status"]);
        Assert.Equal(sha256, fetch["sha256"]);
        Assert.Contains($"query {name} 1", dns.Output);

        var missing = Probe(peer, fastPaths, ["resolve", "missing." + name], 30, "--dns", TunnelPeerNamespace.PeerAddress);
        Assert.Equal("HostNotFound", Error(missing));
        Assert.Contains($"query missing.{name}", dns.Output);
    }

    // ---- helpers ----

    private ProgramResult Probe(TunnelPeerNamespace peer, bool fastPaths, string[] command, int timeoutSeconds, params string[] options)
    {
        var arguments = peer.ProbeOptions(fastPaths, ["--timeout", Invariant(timeoutSeconds), .. options]);
        arguments.AddRange(command);
        var result = UnprivilegedProgram.Run(UnprivilegedProgram.ProbeDll, arguments, TimeSpan.FromSeconds(timeoutSeconds + 30),
            TunnelPeerNamespace.ProbeEnvironment(fastPaths));
        output.WriteLine($"probe {string.Join(' ', command)} (fast paths {(fastPaths ? "on" : "off")}):\n{result}");
        AssertUnprivileged(result);
        // Fast paths off means the portable AEAD too (WGSHARP_AEAD=libsodium, which the probe applies).
        Assert.Equal(fastPaths ? "default" : "libsodium", result.Line("identity")!["aead"]);
        return result;
    }

    /// <summary>The probe ran as nobody, with no capability and no TUN descriptor.</summary>
    private static void AssertUnprivileged(ProgramResult result)
    {
        var identity = result.Line("identity") ?? throw new Xunit.Sdk.XunitException("no identity line:\n" + result);
        Assert.Equal(Invariant(UnprivilegedProgram.NobodyId), identity["uid"].Split(' ')[0]);
        Assert.Equal("nobody", identity["user"]);
        Assert.Equal("0000000000000000", identity["capeff"]);
        Assert.Equal("0", identity["tun-fds"]);
    }

    private static string Error(ProgramResult result)
    {
        var error = result.Line("error") ?? throw new Xunit.Sdk.XunitException("the probe reported no error:\n" + result);
        Assert.True(result.ExitCode == 2, result.ToString());
        return error["socket"];
    }

    private void Report(string direction, IReadOnlyDictionary<string, string> result)
    {
        double seconds = double.Parse(result["seconds"], CultureInfo.InvariantCulture);
        output.WriteLine($"{direction}: {HundredMegabytes * 8 / 1e6 / seconds:F0} Mbit/s, probe CPU {result["cpu-seconds"]} s");
    }

    /// <summary>A world-readable directory with blob.bin of <paramref name="size"/> random bytes; its SHA-256.</summary>
    private static (string Directory, string Sha256) WebRoot(int size)
    {
        var directory = Path.Combine(UnprivilegedProgram.SharedDirectory, $"www-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var blob = RandomNumberGenerator.GetBytes(size);
        File.WriteAllBytes(Path.Combine(directory, "blob.bin"), blob);
        return (directory, Convert.ToHexStringLower(SHA256.HashData(blob)));
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
