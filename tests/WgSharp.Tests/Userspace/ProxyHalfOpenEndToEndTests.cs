using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;
using Xunit.Abstractions;
using static WgSharp.Tests.Userspace.ProxyEndToEndTests;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// 10,000 clients that connect to `wgsharp proxy`'s SOCKS5 listener and never finish a greeting (nothing, or a cut
/// one), against the proxy as user nobody: the client limit refuses those beyond it at once, the handshake timeout
/// (set short in the CONF's [Proxy] section) closes the rest, the proxy's memory stays bounded, and real clients are
/// served all the while: a download admitted before the flood, one through the HTTP proxy during it, one after it.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Root)]
[Collection(NetnsCollection.Name)]
public class ProxyHalfOpenEndToEndTests(ITestOutputHelper output)
{
    private const int HalfOpen = 10_000;
    private const int MaxClients = 1024;
    private const int ConnectConcurrency = 200;
    private const long MemoryBoundBytes = 100L * 1024 * 1024; // above the proxy's own RSS before the flood

    [Fact]
    public async Task TenThousandHalfOpenClientsAreRefusedOrTimedOutInBoundedMemoryWhileOthersAreServed()
    {
        RaiseDescriptorLimit(HalfOpen + 2048);
        using var peer = new TunnelPeerNamespace();
        var (directory, sha256) = WebRoot(8 * 1024 * 1024 + 7);
        using var http = NamespaceServerProcess.HttpServer(peer.Namespace, directory, HttpPort);
        string conf = WriteConf(peer, "");
        File.AppendAllText(conf, $"\n[Proxy]\nMaxClients = {MaxClients}\nHandshakeTimeout = 3\n");
        int metricsPort = FreeTcpPort();
        using var proxy = UnprivilegedProgram.Start(UnprivilegedProgram.CliDll,
            ["proxy", conf, "--socks5", "0", "--http", "0", "--metrics", Invariant(metricsPort)]);
        Assert.True(proxy.WaitForErrorText("metrics", Ready), proxy.StandardError);
        var socks = ReadyEndPoint(proxy, "socks5");
        var httpProxy = ReadyEndPoint(proxy, "http");
        string url = $"http://{TunnelPeerNamespace.PeerAddress}:{HttpPort}/blob.bin";
        Assert.Equal(sha256, Curl(["--socks5-hostname", socks.ToString(), url])); // warm: handshake done, code jitted
        long before = Memory(proxy.Id).Rss;

        // Admitted before the flood, slowed so it runs through it.
        var during = Task.Run(() => Curl(["--limit-rate", "1M", "--socks5-hostname", socks.ToString(), url]));
        var sockets = new Socket[HalfOpen];
        long peakRss = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Memory(proxy.Id).Rss);
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        try
        {
            using (var gate = new SemaphoreSlim(ConnectConcurrency))
            {
                await Task.WhenAll(Enumerable.Range(0, HalfOpen).Select(async i =>
                {
                    await gate.WaitAsync();
                    try { sockets[i] = await OpenHalfAsync(socks, i); }
                    finally { gate.Release(); }
                }));
            }
            // Another service of the same proxy serves a whole download while the SOCKS5 listener is flooded.
            Assert.Equal(sha256, Curl(["-x", $"http://{httpProxy}", url]));
            // And the flooded SOCKS5 listener itself: a newcomer takes the slot of the oldest client still in its handshake.
            Assert.Equal(sha256, Curl(["--socks5-hostname", socks.ToString(), url]));

            // Every half-open client is closed by the proxy: at once beyond the limit, after the handshake timeout within it.
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var closed = await Task.WhenAll(sockets.Select(s => ClosedByPeerAsync(s, deadline.Token)));
            Assert.Equal(HalfOpen, closed.Count(c => c));
            Assert.Equal(sha256, await during);
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            foreach (var socket in sockets) socket?.Dispose();
        }

        var (rss, hwm) = Memory(proxy.Id);
        output.WriteLine($"proxy memory: VmRSS {Mib(before)} before, sampled peak {Mib(peakRss)}, VmHWM {Mib(hwm)}, {Mib(rss)} after");
        Assert.True(hwm - before < MemoryBoundBytes, $"VmHWM {Mib(hwm)} vs {Mib(before)} before the flood");

        // The proxy accepted every one of them: each was admitted (and timed out) or refused, and none is held now (a
        // client's slot is given back just after its socket closes: scraped until it shows, the exposition is cached 1 s).
        string metrics = Scrape(metricsPort);
        for (int i = 0; i < 30 && Counter(metrics, "wgsharp_proxy_active", "socks5 127.0.0.1:0") != 0; i++)
        {
            Thread.Sleep(1100);
            metrics = Scrape(metricsPort);
        }
        long opened = Counter(metrics, "wgsharp_proxy_connections_total", "socks5 127.0.0.1:0");
        long refused = Counter(metrics, "wgsharp_proxy_refused_total", "socks5 127.0.0.1:0");
        output.WriteLine($"socks5: {opened} admitted, {refused} refused");
        // Every client was admitted (the flood, the warm-up, the download through it and the one during it): while slots
        // were full of clients in their handshake, each newcomer displaced the oldest of them, counted refused.
        Assert.Equal(HalfOpen + 3, opened);
        Assert.True(refused > 0, "no handshaking client was displaced: the flood never filled the slots");
        Assert.Equal(0, Counter(metrics, "wgsharp_proxy_active", "socks5 127.0.0.1:0"));

        // And a new client after it is served as before.
        Assert.Equal(sha256, Curl(["--socks5-hostname", socks.ToString(), url]));
    }

    /// <summary>A client that connects and then sends nothing (every third), one byte of a greeting, or a greeting cut short.</summary>
    private static async Task<Socket> OpenHalfAsync(IPEndPoint proxy, int index)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await socket.ConnectAsync(proxy, deadline.Token);
            switch (index % 3)
            {
                case 1: await socket.SendAsync(new byte[] { 5 }, SocketFlags.None); break;
                case 2: await socket.SendAsync(new byte[] { 5, 2, 0 }, SocketFlags.None); break; // two methods announced, one sent
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True when the proxy closed the connection (end of stream or reset) before the deadline, without a byte.</summary>
    private static async Task<bool> ClosedByPeerAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[16];
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, ct) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static long Counter(string metrics, string name, string service)
    {
        var match = Regex.Match(metrics, $"^{name}\\{{service=\"{Regex.Escape(service)}\"\\}} (\\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {name} for {service} in:\n{metrics}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS and VmHWM of a process, in bytes.</summary>
    private static (long Rss, long Hwm) Memory(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kib(line);
        }
        return (rss, hwm);

        static long Kib(string line) =>
            1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";

    /// <summary>Lets this process hold the flood's sockets: the soft descriptor limit up to <paramref name="wanted"/> (at most the hard one).</summary>
    private static void RaiseDescriptorLimit(int wanted)
    {
        const int RlimitNofile = 7;
        var limit = default(RLimit);
        if (getrlimit(RlimitNofile, ref limit) != 0) throw new InvalidOperationException($"getrlimit: errno {Marshal.GetLastPInvokeError()}");
        if (limit.Current >= (ulong)wanted) return;
        Assert.True(limit.Maximum >= (ulong)wanted, $"the hard descriptor limit {limit.Maximum} is under the {wanted} this test needs (ulimit -Hn)");
        limit.Current = (ulong)wanted;
        if (setrlimit(RlimitNofile, ref limit) != 0) throw new InvalidOperationException($"setrlimit: errno {Marshal.GetLastPInvokeError()}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit { public ulong Current, Maximum; }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, ref RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);
}
