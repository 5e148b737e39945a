using System.Net;
using WgSharp.Keys;

namespace WgSharp.Samples;

/// <summary>
/// What the sample needs to reach one peer: from a wg-quick style file ([Interface] PrivateKey, Address, DNS;
/// [Peer] PublicKey, Endpoint, AllowedIPs, PresharedKey) and/or command-line options, the options winning.
/// </summary>
internal sealed class TunnelSettings
{
    public Key? PrivateKey { get; set; }
    public Key? PeerPublicKey { get; set; }
    public Key? PresharedKey { get; set; }
    public IPEndPoint? PeerEndpoint { get; set; }
    public List<IPNetwork> Addresses { get; } = [];
    public List<IPAddress> DnsServers { get; } = [];
    public List<IPNetwork> AllowedIPs { get; } = [];
    public bool UsePlatformFastPaths { get; set; } = true;
    public string? Url { get; set; }

    public const string Usage =
        "usage: HttpThroughTunnel [--config wg.conf] [--private-key B64] [--peer-public-key B64] [--peer-endpoint IP:PORT]\n" +
        "                         [--address CIDR] [--dns IP] [--allowed-ips CIDR,...] [--no-fast-paths] URL";

    public static TunnelSettings Parse(string[] args)
    {
        var settings = new TunnelSettings();
        var fromCommandLine = new TunnelSettings();
        for (int i = 0; i < args.Length; i++)
        {
            string argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                fromCommandLine.Url = argument;
                continue;
            }
            if (argument == "--no-fast-paths")
            {
                fromCommandLine.UsePlatformFastPaths = false;
                continue;
            }
            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{argument} needs a value");
            if (argument == "--config")
                settings.ReadConfigFile(value);
            else
                fromCommandLine.Set(argument[2..], value);
        }
        settings.Merge(fromCommandLine);
        if (settings.PrivateKey is null || settings.PeerPublicKey is null || settings.PeerEndpoint is null ||
            settings.Addresses.Count == 0 || settings.Url is null)
            throw new ArgumentException("a private key, the peer's public key and endpoint, an address and a URL are needed");
        if (settings.AllowedIPs.Count == 0)
            settings.AllowedIPs.AddRange([IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0")]);
        return settings;
    }

    /// <summary>The wg-quick keys this sample understands; others (ListenPort, MTU, PostUp...) are ignored.</summary>
    private void ReadConfigFile(string path)
    {
        foreach (var rawLine in File.ReadAllLines(path))
        {
            var line = rawLine.Split('#')[0].Trim();
            int equals = line.IndexOf('=');
            if (equals <= 0)
                continue; // blank, comment or [Section]
            string key = line[..equals].Trim().ToLowerInvariant(), value = line[(equals + 1)..].Trim();
            switch (key)
            {
                case "privatekey": Set("private-key", value); break;
                case "publickey": Set("peer-public-key", value); break;
                case "presharedkey": Set("preshared-key", value); break;
                case "endpoint": Set("peer-endpoint", value); break;
                case "address": Set("address", value); break;
                case "dns": Set("dns", value); break;
                case "allowedips": Set("allowed-ips", value); break;
            }
        }
    }

    private void Set(string name, string value)
    {
        switch (name)
        {
            case "private-key": PrivateKey = Key.Parse(value); break;
            case "peer-public-key": PeerPublicKey = Key.Parse(value); break;
            case "preshared-key": PresharedKey = Key.Parse(value); break;
            case "peer-endpoint": PeerEndpoint = IPEndPoint.Parse(value); break;
            case "address": AddEach(value, s => Addresses.Add(ParseHostNetwork(s))); break;
            case "dns": AddEach(value, s => DnsServers.Add(IPAddress.Parse(s))); break;
            case "allowed-ips": AddEach(value, s => AllowedIPs.Add(IPNetwork.Parse(s))); break;
            default: throw new ArgumentException($"unknown option --{name}");
        }
    }

    private void Merge(TunnelSettings other)
    {
        PrivateKey = other.PrivateKey ?? PrivateKey;
        PeerPublicKey = other.PeerPublicKey ?? PeerPublicKey;
        PresharedKey = other.PresharedKey ?? PresharedKey;
        PeerEndpoint = other.PeerEndpoint ?? PeerEndpoint;
        ReplaceIfGiven(Addresses, other.Addresses);
        ReplaceIfGiven(DnsServers, other.DnsServers);
        ReplaceIfGiven(AllowedIPs, other.AllowedIPs);
        UsePlatformFastPaths &= other.UsePlatformFastPaths;
        Url = other.Url ?? Url;
    }

    private static void ReplaceIfGiven<T>(List<T> list, List<T> given)
    {
        if (given.Count == 0)
            return;
        list.Clear();
        list.AddRange(given);
    }

    private static void AddEach(string commaSeparated, Action<string> add)
    {
        foreach (var part in commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            add(part);
    }

    /// <summary>wg-quick writes the interface address as HOST/PREFIX (10.0.0.2/24): the stack wants the host, so /32 or /128.</summary>
    private static IPNetwork ParseHostNetwork(string text)
    {
        var address = IPAddress.Parse(text.Split('/')[0]);
        return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }
}
