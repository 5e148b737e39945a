using System.Net;
using System.Net.Sockets;
using WgSharp.Cli.Proxy;
using WgSharp.Configuration;
using WgSharp.Device;
using WgSharp.Keys;
using WgSharp.Netstack;
using WgSharp.Netstack.Dns;
using WgSharp.Tests.Device;
using WgSharp.Tests.Device.InMemory;
using WgSharp.Tests.Netstack.Dns;

namespace WgSharp.Tests.Proxy;

/// <summary>
/// The proxy's world in one process: two userspace stacks behind real WireGuard devices on the in-memory network.
/// "Proxy" (10.97.0.1, fd97::1) is the network the services use, its DNS server the far side; "Far" (10.97.0.2,
/// fd97::2) runs a DNS responder (svc.test and its subdomains → Far's addresses, anything else NXDOMAIN), a TCP echo on port 7 and a UDP
/// echo on port 7. Shared by a test class; each test makes its own services and counters.
/// </summary>
public sealed class ProxyTestNetwork : IDisposable
{
    public static readonly IPAddress Proxy4 = IPAddress.Parse("10.97.0.1"), Far4 = IPAddress.Parse("10.97.0.2");
    public static readonly IPAddress Proxy6 = IPAddress.Parse("fd97::1"), Far6 = IPAddress.Parse("fd97::2");
    public const string FarName = "svc.test";
    public const int EchoPort = 7, HttpPort = 80;

    private readonly InMemoryNetwork _wire = new();
    private readonly WireGuardDevice _proxyDevice, _farDevice;
    private readonly CancellationTokenSource _stop = new();
    private readonly TunnelUdpSocket _dns, _udpEcho;
    private readonly TunnelListener _tcpEcho, _http;
    private int _dnsQueries;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _serverFaults = new();

    /// <summary>What the far side's servers threw: a server that failed closes its stream, which a client would otherwise see as a clean, early end.</summary>
    public IReadOnlyCollection<string> ServerFaults => _serverFaults;

    public ProxyTestNetwork()
    {
        var proxyStack = new WgSharp.Netstack.Netstack(new NetstackOptions
        {
            Addresses = [new IPNetwork(Proxy4, 32), new IPNetwork(Proxy6, 128)], DnsServers = [Far4],
        });
        var farStack = new WgSharp.Netstack.Netstack(new NetstackOptions { Addresses = [new IPNetwork(Far4, 32), new IPNetwork(Far6, 128)] });
        var proxyHost = _wire.Host("192.0.2.11");
        var farHost = _wire.Host("192.0.2.12");
        _proxyDevice = new WireGuardDevice(new NetstackTunnel(proxyStack, "proxy"), proxyHost, new CapturingLogger(), new DeviceOptions());
        _farDevice = new WireGuardDevice(new NetstackTunnel(farStack, "far"), farHost, new CapturingLogger(), new DeviceOptions());
        proxyStack.Routes = destination => _proxyDevice.AllowedIps.Lookup(destination) is not null;
        farStack.Routes = destination => _farDevice.AllowedIps.Lookup(destination) is not null;
        var proxyKey = KeyGenerator.GeneratePrivateKey();
        var farKey = KeyGenerator.GeneratePrivateKey();
        Configure(_proxyDevice, proxyKey, KeyGenerator.DerivePublicKey(farKey), farHost.EndpointOf(_farDevice.Transport.Port).ToIPEndPoint(), "10.97.0.0/24", "fd97::/64");
        Configure(_farDevice, farKey, KeyGenerator.DerivePublicKey(proxyKey), proxyHost.EndpointOf(_proxyDevice.Transport.Port).ToIPEndPoint(), "10.97.0.1/32", "fd97::1/128");
        _proxyDevice.Start();
        _farDevice.Start();
        Proxy = new WireGuardNetwork(proxyStack);
        Far = new WireGuardNetwork(farStack);

        _dns = Far.BindUdp(53);
        _udpEcho = Far.BindUdp(EchoPort);
        _tcpEcho = Far.Listen(EchoPort);
        _http = Far.Listen(HttpPort);
        _ = Task.Run(() => ServeHttpAsync(_stop.Token));
        _ = Task.Run(() => ServeDnsAsync(_stop.Token));
        _ = Task.Run(() => ServeUdpEchoAsync(_stop.Token));
        _ = Task.Run(() => ServeTcpEchoAsync(_stop.Token));
    }

    /// <summary>The network the proxy services use.</summary>
    public WireGuardNetwork Proxy { get; }

    /// <summary>The far side, where test servers run.</summary>
    public WireGuardNetwork Far { get; }

    /// <summary>DNS queries the far side has answered.</summary>
    public int DnsQueries => Volatile.Read(ref _dnsQueries);

    /// <summary>A context for services on the proxy side, with its own counters.</summary>
    internal ProxyContext Context(ProxyLimits? limits = null, ProxyCredentials? credentials = null, CapturingLogger? logger = null) =>
        new(Proxy, credentials, limits ?? new ProxyLimits(), new ProxyCounters(), logger ?? new CapturingLogger());

    /// <summary>Generous: only a broken proxy waits this long, and then the test fails instead of hanging.</summary>
    public static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static void Configure(WireGuardDevice device, Key privateKey, Key peerKey, IPEndPoint endpoint, params string[] allowedIps)
    {
        var update = new DeviceUpdate { PrivateKey = privateKey };
        var peer = new PeerUpdate(peerKey) { ReplaceAllowedIps = true, Endpoint = endpoint };
        foreach (var text in allowedIps)
        {
            if (!IpPrefix.TryParse(text, out var prefix, out var error)) throw new ArgumentException(error);
            peer.AddAllowedIps.Add(prefix.Value);
        }
        update.Peers.Add(peer);
        var result = device.Apply(update);
        if (!result.IsOk) throw new InvalidOperationException(result.Message);
    }

    private async Task ServeDnsAsync(CancellationToken ct)
    {
        var buffer = new byte[512];
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult request;
            try { request = await _dns.ReceiveFromAsync(buffer, ct); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _dnsQueries);
            var query = buffer.AsSpan(0, request.ReceivedBytes).ToArray();
            int position = DnsMessage.HeaderSize;
            DnsMessage.TryReadName(query, ref position, out var name);
            bool isA = FakeDnsTransport.TypeOf(query) == 1;
            var response = name == FarName || name?.EndsWith("." + FarName, StringComparison.Ordinal) == true
                ? DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).AddressRecord(isA ? Far4 : Far6, 60).ToArray()
                : DnsTestMessages.AnswerTo(query, DnsAnswer.NameError).ToArray();
            try { await _dns.SendToAsync(response, request.RemoteEndPoint, ct); }
            catch (Exception) { }
        }
    }

    private async Task ServeUdpEchoAsync(CancellationToken ct)
    {
        var buffer = new byte[65536];
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult request;
            try { request = await _udpEcho.ReceiveFromAsync(buffer, ct); }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted) { continue; }
            catch (Exception) { return; }
            try { await _udpEcho.SendToAsync(buffer.AsMemory(0, request.ReceivedBytes), request.RemoteEndPoint, ct); }
            catch (Exception) { }
        }
    }

    private async Task ServeTcpEchoAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TunnelStream stream;
            try { stream = await _tcpEcho.AcceptAsync(ct); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                await using var _ = stream;
                var buffer = new byte[16384];
                try
                {
                    int n;
                    while ((n = await stream.ReadAsync(buffer, ct)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                catch (Exception e) { _serverFaults.Enqueue($"tcp echo: {e}"); }
            }, ct);
        }
    }

    /// <summary>An HTTP/1.1 origin answering each request with its own head as the body (so tests see what the proxy sent), then closing.</summary>
    private async Task ServeHttpAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TunnelStream stream;
            try { stream = await _http.AcceptAsync(ct); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                await using var _ = stream;
                try
                {
                    var received = new List<byte>();
                    var buffer = new byte[4096];
                    int end;
                    while ((end = IndexOfEnd(received)) < 0)
                    {
                        int n = await stream.ReadAsync(buffer, ct);
                        if (n == 0) return;
                        received.AddRange(buffer.AsSpan(0, n));
                    }
                    var head = System.Text.Encoding.ASCII.GetString([.. received.Take(end)]);
                    int length = 0;
                    foreach (var line in head.Split("\r\n"))
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim());
                    int have = received.Count - end - 4;
                    while (have < length)
                    {
                        int n = await stream.ReadAsync(buffer, ct);
                        if (n == 0) return;
                        have += n;
                    }
                    var body = System.Text.Encoding.ASCII.GetBytes(head + $"\r\n[body {length}]");
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
                    await stream.WriteAsync(body, ct);
                }
                catch (Exception) { }
            }, ct);
        }

        static int IndexOfEnd(List<byte> bytes)
        {
            for (int i = 0; i + 3 < bytes.Count; i++)
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return i;
            return -1;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _dns.Dispose();
        _udpEcho.Dispose();
        _tcpEcho.Dispose();
        _http.Dispose();
        _proxyDevice.Dispose();
        _farDevice.Dispose();
    }
}
