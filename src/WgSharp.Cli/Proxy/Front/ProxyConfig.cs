using System.Net;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// Everything a CONF file (and the command line after it) describes: the WireGuard configuration (keys and peers,
/// what a reload may change), the tunnel's addresses, DNS and MTU (fixed while running), and the services to run.
/// </summary>
internal sealed record ProxyConfig
{
    /// <summary>Private key, listen port and peers: what SIGHUP applies all or nothing.</summary>
    public required InterfaceConfiguration WireGuard { get; init; }

    /// <summary>The tunnel addresses (`Address =`), at least one.</summary>
    public required IReadOnlyList<IPNetwork> Addresses { get; init; }

    /// <summary>DNS servers reached through the tunnel (`DNS =`; search domains are dropped).</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>The tunnel MTU (`MTU =`), 1420 when absent.</summary>
    public int Mtu { get; init; } = 1420;

    /// <summary>Services, in the order the file and the command line gave them.</summary>
    public IReadOnlyList<ProxyServiceSpec> Services { get; init; } = [];

    /// <summary>Credentials clients of the SOCKS5 and HTTP proxies must give; null for none.</summary>
    public ProxyCredentials? Credentials { get; init; }

    /// <summary>The limits of every service ([Proxy] MaxClients, HandshakeTimeout...; the documented defaults when absent).</summary>
    public ProxyLimits Limits { get; init; } = new();

    /// <summary>Keys and values that were read but are ignored (root-only wg-quick keys, DNS search domains), for the one warning line.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>What changed between two configurations that only a restart applies (empty: a reload applies everything).</summary>
    public IReadOnlyList<string> NeedRestart(ProxyConfig next)
    {
        var changes = new List<string>();
        if (!Addresses.SequenceEqual(next.Addresses)) changes.Add("Address");
        if (!DnsServers.SequenceEqual(next.DnsServers)) changes.Add("DNS");
        if (Mtu != next.Mtu) changes.Add("MTU");
        if (!Services.SequenceEqual(next.Services)) changes.Add("listeners and forwards");
        if (Credentials != next.Credentials) changes.Add("proxy credentials");
        if (Limits != next.Limits) changes.Add("limits");
        return changes;
    }
}
