using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// A hostile peer against the userspace stack of an unprivileged process, through real WireGuard (Debian's
/// wireguard-go): out-of-window and in-window RSTs and SYNs, a bad checksum, overlapping and duplicate segments, an
/// out-of-order flood, a zero window held forever and a SYN flood (<see cref="HostilePeerScript"/>). The stack answers
/// each as RFC 9293/5961 say, keeps serving an honest client of the kernel beside it, and its memory stays bounded.
/// </summary>
[Collection(NetnsCollection.Name)]
[Trait(TestTiers.Name, TestTiers.Root)]
public class HostilePeerTests(ITestOutputHelper output)
{
    private const int Port = 7100;
    private const string HostileAddress = "10.77.0.9";

    /// <summary>
    /// What the attacks may make the probe hold beyond its warm size: the out-of-order limit of one connection, one
    /// connection's send buffer held by the zero window, the SYN backlog; tens of MiB at most with the defaults,
    /// against the hundreds an unbounded queue would take from 3 MB of out-of-order data and 5,000 SYNs.
    /// </summary>
    private const long MaxGrowthBytes = 48L * 1024 * 1024;

    [Fact]
    public async Task TheStackSurvivesAHostilePeerAndKeepsServingOthers()
    {
        using var peer = new TunnelPeerNamespace();
        var arguments = peer.ProbeOptions(true, "--timeout", "120", "--wake", TunnelPeerNamespace.PeerAddress);
        arguments.AddRange(["serve-concurrent", Port.ToString(CultureInfo.InvariantCulture)]);
        using var probe = UnprivilegedProgram.Start(UnprivilegedProgram.ProbeDll, arguments);
        if (probe.WaitForLine("listening", TimeSpan.FromSeconds(30)) is null)
            Assert.Fail(probe.WaitForExit(TimeSpan.Zero).ToString());

        // Warm: one honest exchange, so the baseline includes the runtime's own first-use growth.
        Assert.True(await HonestEchoAsync(peer, 256 * 1024), "the honest client's echo before the attack");
        long before = ResidentBytes(probe.Id);

        var script = HostilePeerScript.Write();
        var attack = CommandRunner.Run("ip", ["netns", "exec", peer.Namespace.Name, "/usr/bin/python3", script,
            peer.TunnelInterface, TunnelPeerNamespace.ProbeAddress, Port.ToString(CultureInfo.InvariantCulture), HostileAddress],
            TimeSpan.FromSeconds(120));
        output.WriteLine(attack.StandardOutput + attack.StandardError);

        bool honestAfter = await HonestEchoAsync(peer, 1024 * 1024);
        long after = ResidentBytes(probe.Id);
        var result = probe.WaitForExit(TimeSpan.Zero); // SIGTERM: the probe prints its counters and the connections it served
        output.WriteLine(result.ToString());
        output.WriteLine($"resident before={before} after={after} growth={after - before}");

        Assert.Contains("done", attack.StandardOutput.Split('\n').Select(l => l.Trim()));
        var failed = attack.StandardOutput.Split('\n').Where(l => l.StartsWith("check ", StringComparison.Ordinal) && l.Contains(" fail", StringComparison.Ordinal)).ToList();
        Assert.True(failed.Count == 0, string.Join('\n', failed) + "\n" + result);
        Assert.True(honestAfter, "the honest client's echo after the attack\n" + result);
        Assert.True(after - before <= MaxGrowthBytes, $"the probe grew by {after - before} bytes under attack (limit {MaxGrowthBytes})");
        Assert.DoesNotContain(result.Lines, l => l.StartsWith("error", StringComparison.Ordinal));
        Assert.True(result.Line("counters")?.ContainsKey("tcp_syn_backlog_full") ?? false, "the SYN flood reached the backlog limit\n" + result);
    }

    /// <summary>A kernel client in the peer namespace sends <paramref name="bytes"/> and reads them back through the probe's echo.</summary>
    private static async Task<bool> HonestEchoAsync(TunnelPeerNamespace peer, int bytes)
    {
        using var client = peer.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var data = new byte[bytes];
        Random.Shared.NextBytes(data);
        try
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(TunnelPeerNamespace.ProbeAddress), Port), deadline.Token);
            var send = client.SendAsync(data, deadline.Token).AsTask();
            var echoed = new byte[bytes];
            for (int read = 0; read < bytes;)
            {
                int n = await client.ReceiveAsync(echoed.AsMemory(read), deadline.Token);
                if (n == 0)
                    return false;
                read += n;
            }
            await send;
            return echoed.AsSpan().SequenceEqual(data);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static long ResidentBytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS");
    }
}
