using System.Net;
using Microsoft.Extensions.Configuration;
using WgSharp.Keys;

namespace WgSharp.Hosting;

/// <summary>
/// Reads <see cref="WireGuardInterfaceOptions"/> from a configuration section (appsettings.json, environment, ...).
/// A wrong entry is one <see cref="WireGuardException"/> (InvalidConfiguration) naming the entry's path, never its value.
/// </summary>
internal static class WireGuardConfigurationReader
{
    public static WireGuardInterfaceOptions Read(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        string path = section is IConfigurationSection s ? s.Path : "(root)";
        WireGuardInterfaceSettings settings;
        try { settings = section.Get<WireGuardInterfaceSettings>() ?? new WireGuardInterfaceSettings(); }
        catch (InvalidOperationException e) // the binder's "cannot convert": a number or flag that is not one
        {
            throw Invalid($"the configuration section {path} has a value of the wrong type (numbers for ports and MTU, true/false for flags)", e);
        }
        if (string.IsNullOrWhiteSpace(settings.Name)) throw Invalid($"{path}:Name is missing (the interface name, e.g. wg0)");

        var defaults = new WireGuardInterfaceOptions { Name = settings.Name };
        return defaults with
        {
            Mtu = settings.Mtu ?? defaults.Mtu,
            NetworkNamespace = settings.NetworkNamespace,
            BringUp = settings.BringUp ?? defaults.BringUp,
            ControlSocket = settings.ControlSocket,
            ControlSocketDirectory = settings.ControlSocketDirectory ?? defaults.ControlSocketDirectory,
            DebugLog = settings.DebugLog,
            Metrics = settings.Metrics ?? defaults.Metrics,
            Offloads = settings.Offloads ?? defaults.Offloads,
            UsePlatformFastPaths = settings.UsePlatformFastPaths ?? defaults.UsePlatformFastPaths,
            Userspace = settings.Userspace is { } userspace ? ReadUserspace(userspace, $"{path}:Userspace") : null,
            Configuration = new InterfaceConfiguration
            {
                PrivateKey = settings.PrivateKey is null ? null : ReadKey(settings.PrivateKey, $"{path}:PrivateKey"),
                ListenPort = settings.ListenPort,
                FwMark = settings.FwMark,
                Peers = [.. settings.Peers.Select((peer, i) => ReadPeer(peer, $"{path}:Peers:{i}"))],
            },
        };
    }

    private static UserspaceNetworkOptions ReadUserspace(UserspaceSettings settings, string path) => new()
    {
        Addresses = [.. settings.Addresses.Select((a, i) => IPAddress.TryParse(a, out var ip) && !a.Contains('/', StringComparison.Ordinal)
            ? new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : ReadNetwork(a, $"{path}:Addresses:{i}"))],
        DnsServers = [.. settings.DnsServers.Select((a, i) => IPAddress.TryParse(a, out var ip) ? ip : throw Invalid($"{path}:DnsServers:{i} is not an IP address"))],
    };

    private static PeerConfiguration ReadPeer(PeerSettings settings, string path) => new()
    {
        PublicKey = settings.PublicKey is null ? throw Invalid($"{path}:PublicKey is missing") : ReadKey(settings.PublicKey, $"{path}:PublicKey"),
        PresharedKey = settings.PresharedKey is null ? null : ReadKey(settings.PresharedKey, $"{path}:PresharedKey"),
        Endpoint = settings.Endpoint is null ? null
            : IPEndPoint.TryParse(settings.Endpoint, out var endpoint) && endpoint.Port != 0 ? endpoint
            : throw Invalid($"{path}:Endpoint is not ADDRESS:PORT (an IP address; [::1]:51820 for IPv6)"),
        AllowedIPs = [.. settings.AllowedIPs.Select((a, i) => ReadNetwork(a, $"{path}:AllowedIPs:{i}"))],
        PersistentKeepalive = settings.PersistentKeepalive is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
    };

    // Key text is often a private key: the message names the entry and the expected form, never the text.
    private static Key ReadKey(string text, string path) =>
        Key.TryParse(text.Trim(), out var key) ? key : throw Invalid($"{path} is not a key (44 characters of base64, as wg genkey prints)");

    // IPNetwork.TryParse masks host bits away; 10.0.0.1/24 is more likely a typo for /32 than meant as 10.0.0.0/24: refused.
    private static IPNetwork ReadNetwork(string text, string path)
    {
        text = text.Trim();
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text.AsSpan(0, slash), out var address) && network.BaseAddress.Equals(address)
            ? network
            : throw Invalid($"{path} is not ADDRESS/PREFIX with the host bits zero");
    }

    private static WireGuardException Invalid(string message, Exception? inner = null) =>
        new(WireGuardErrorReason.InvalidConfiguration, message, inner);
}
