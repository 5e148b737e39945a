using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Userspace.ProxyEndToEndTests;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// `wgsharp forward` as a user runs it (user nobody, a Debian wireguard-go peer in a namespace): iperf3 through a
/// local TCP forward, and UDP both ways, a local UDP forward to an echo behind the tunnel and a remote UDP forward that
/// a client in the peer's namespace reaches on our tunnel address.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)]
public class ProxyForwardEndToEndTests(ITestOutputHelper output)
{
    private const long IperfBytes = 50L * 1024 * 1024;
    private const int UdpPayload = 1200;
    private const int UdpDatagrams = 1000;
    private const int RemoteUdpPort = 5300;

    [Fact]
    public void Iperf3ThroughALocalTcpForwardAndUdpForwardsBothWays()
    {
        using var peer = new TunnelPeerNamespace();
        using var iperf = Iperf3Server.Start(peer);
        using var kernelEcho = new KernelUdpEcho(peer.Namespace);
        using var hostEcho = KernelUdpEcho.OnLoopback();

        string conf = WriteConf(peer, "");
        using var forward = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll,
            ["forward", conf, $"tcp:0:{TunnelPeerNamespace.PeerAddress}:{iperf.Port}", $"udp:0:{kernelEcho.EndPoint}",
             $"remote-udp:{RemoteUdpPort}:127.0.0.1:{hostEcho.Port}"]);
        Assert.True(forward.WaitForErrorText("remote-udp", Ready), forward.StandardError);
        var localTcp = ReadyEndPoint(forward, "tcp");
        var localUdp = ReadyEndPoint(forward, "udp");

        // iperf3's client against the local port: its control and data connections both cross the forward.
        var run = CommandRunner.Run("iperf3", ["-c", "127.0.0.1", "-p", Invariant(localTcp.Port), "-n", Invariant(IperfBytes), "--json"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"iperf3: exit {run.ExitCode}: {run.StandardOutput}\n{run.StandardError}\n{iperf.Output}\n{forward.StandardError}");
        using (var report = JsonDocument.Parse(run.StandardOutput))
        {
            var end = report.RootElement.GetProperty("end");
            long sent = end.GetProperty("sum_sent").GetProperty("bytes").GetInt64();
            long received = end.GetProperty("sum_received").GetProperty("bytes").GetInt64();
            double bitsPerSecond = end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
            output.WriteLine($"iperf3 through the forward: sent {sent}, received {received}, {bitsPerSecond / 1e6:F0} Mbit/s");
            // iperf3's receiver total stops when the client's "test end" crosses the control connection, so bytes
            // still in the forward's and the stack's buffers then are not in it (a few MB here): the sender's total is
            // exact. The forward's byte-exactness is ProxyEndToEndTests' echo comparison.
            Assert.True(sent == IperfBytes && received > 0 && received <= sent, $"sent {sent}, received {received} (asked {IperfBytes})");
        }

        // Local UDP: a host client's datagrams to the kernel echo behind the tunnel and back.
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var result = new ProxyUdpEchoExchange(client, localUdp).Run(UdpDatagrams, UdpPayload, TimeSpan.FromMinutes(2));
            output.WriteLine($"local UDP forward: {result}");
            Assert.True(result.Answered == UdpDatagrams && result.Mismatched == 0 && result.HashesEqual, $"{result}\n{forward.StandardError}");
        }

        // Remote UDP: a client in the peer's namespace, to our tunnel address, reaches the echo on our loopback.
        using (var client = peer.Namespace.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(TunnelPeerNamespace.PeerIp, 0));
            return socket;
        }))
        {
            var to = new IPEndPoint(IPAddress.Parse(TunnelPeerNamespace.ProbeAddress), RemoteUdpPort);
            var result = new ProxyUdpEchoExchange(client, to).Run(UdpDatagrams, UdpPayload, TimeSpan.FromMinutes(2));
            output.WriteLine($"remote UDP forward: {result}");
            Assert.True(result.Answered == UdpDatagrams && result.Mismatched == 0 && result.HashesEqual, $"{result}\n{forward.StandardError}");
        }
        Assert.True(hostEcho.Echoed >= UdpDatagrams);

        CommandRunner.Run("kill", "-TERM", Invariant(forward.Id)).EnsureSuccess();
        Assert.Equal(0, forward.WaitForExit(TimeSpan.FromSeconds(20)).ExitCode);
    }

    /// <summary>`iperf3 -s` on the peer's tunnel address, in its namespace, as long as this object lives.</summary>
    private sealed class Iperf3Server : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Lock _lock = new();

        private Iperf3Server(Process process, int port)
        {
            _process = process;
            Port = port;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Port { get; }

        public string Output
        {
            get { lock (_lock) return _output.ToString(); }
        }

        public static Iperf3Server Start(TunnelPeerNamespace peer)
        {
            const int Port = 5201; // the namespace is the test's own: the default port is free there
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "netns", "exec", peer.Namespace.Name, "iperf3", "-s", "-B", TunnelPeerNamespace.PeerAddress, "-p", Invariant(Port), "--forceflush" })
                start.ArgumentList.Add(argument);
            var server = new Iperf3Server(Process.Start(start) ?? throw new InvalidOperationException("iperf3 did not start"), Port);
            var clock = Stopwatch.StartNew();
            while (!server.Output.Contains("Server listening", StringComparison.Ordinal))
            {
                if (server._process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(15))
                {
                    server.Dispose();
                    throw new InvalidOperationException($"iperf3 -s: not listening within 15 s:\n{server.Output}");
                }
                Thread.Sleep(50);
            }
            return server;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_lock) _output.AppendLine(line);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }
}
