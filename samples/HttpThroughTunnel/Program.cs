// Userspace mode: a WireGuard tunnel inside this process, no TUN interface and no root, and an HTTP GET through it.
// The peer is any WireGuard server (wireguard-go, the kernel, wgsharp) whose AllowedIPs for us holds our address.
//   dotnet run -c Release --project samples/HttpThroughTunnel -- --config wg.conf http://10.0.0.1:8000/file.bin
// wg.conf is a wg-quick file ([Interface] PrivateKey, Address, DNS; [Peer] PublicKey, Endpoint, AllowedIPs); each of
// its settings can also be given (or overridden) as an option: --private-key, --peer-public-key, --peer-endpoint,
// --address, --dns, --allowed-ips. --no-fast-paths uses the portable socket and AEAD code instead of Linux's.
// Prints the status code, the body's length and its SHA-256.
using System.Net.Sockets;
using System.Security.Cryptography;
using WgSharp;
using WgSharp.Samples;

TunnelSettings settings;
try
{
    settings = TunnelSettings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or IOException)
{
    Console.Error.WriteLine($"{e.Message}\n{TunnelSettings.Usage}");
    return 1;
}

try
{
    await using var wg = await WireGuardInterface.StartAsync(new WireGuardInterfaceOptions
    {
        Name = "http-sample",
        UsePlatformFastPaths = settings.UsePlatformFastPaths,
        // Userspace: the addresses we have inside the tunnel, and the DNS servers names are resolved with (through it).
        Userspace = new UserspaceNetworkOptions { Addresses = settings.Addresses, DnsServers = settings.DnsServers },
        Configuration = new InterfaceConfiguration
        {
            PrivateKey = settings.PrivateKey,
            Peers =
            [
                new PeerConfiguration
                {
                    PublicKey = settings.PeerPublicKey!.Value,
                    PresharedKey = settings.PresharedKey,
                    Endpoint = settings.PeerEndpoint,
                    AllowedIPs = settings.AllowedIPs,
                },
            ],
        },
    });

    // An ordinary HttpClient whose connections (and DNS look-ups) go through the tunnel.
    using var http = new HttpClient(wg.Network!.CreateHttpMessageHandler()) { Timeout = TimeSpan.FromSeconds(60) };
    using var response = await http.GetAsync(settings.Url, HttpCompletionOption.ResponseHeadersRead);
    await using var body = await response.Content.ReadAsStreamAsync();
    using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    var buffer = new byte[64 * 1024];
    long length = 0;
    for (int read; (read = await body.ReadAsync(buffer)) > 0; length += read)
        sha256.AppendData(buffer, 0, read);

    Console.WriteLine($"status {(int)response.StatusCode} {response.StatusCode}");
    Console.WriteLine($"bytes {length}");
    Console.WriteLine($"sha256 {Convert.ToHexStringLower(sha256.GetHashAndReset())}");
    return response.IsSuccessStatusCode ? 0 : 1;
}
catch (Exception e) when (e is WireGuardException or SocketException or HttpRequestException or IOException or TaskCanceledException)
{
    Console.Error.WriteLine($"http-through-tunnel: {e.GetType().Name}: {e.Message}");
    return 1;
}
