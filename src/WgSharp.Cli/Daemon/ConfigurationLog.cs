using System.Globalization;
using Microsoft.Extensions.Logging;
using WgSharp.Configuration;
using WgSharp.Device;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Logs every configuration change the control socket applies (what changed, at Information), and a refused
/// one (at Warning), with the fields Interface and Peer. Never a key: a private or preshared key is only
/// "changed", a peer is named as in the debug log (peer(AbCd…wXyz)). A bulk change (a setconf of thousands of
/// peers) logs a count instead of a line per peer. <c>applied</c> hears of each change that took effect.
/// </summary>
internal sealed class ConfigurationLog(IDeviceControl inner, ILogger logger, Action<DeviceUpdate>? applied = null) : IDeviceControl
{
    /// <summary>Up to this many peers in one change are logged one line each.</summary>
    private const int PeerLines = 16;

    public string InterfaceName => inner.InterfaceName;

    public DeviceStatus GetStatus() => inner.GetStatus();

    public ConfigResult Apply(DeviceUpdate update)
    {
        // Described before applying: the UAPI clears the update's keys once it is applied.
        var interfaceChanges = DescribeInterface(update);
        var peerChanges = update.Peers.Count <= PeerLines ? update.Peers.Select(p => (Peer.FormatLogName(p.PublicKey), DescribePeer(p))).ToList() : null;
        var result = inner.Apply(update);
        if (!result.IsOk)
        {
            logger.LogWarning("{Interface}: configuration change refused: {Reason}", InterfaceName, result.Message ?? $"errno {result.Errno}");
            return result;
        }
        applied?.Invoke(update);
        if (interfaceChanges.Length > 0) logger.LogInformation("{Interface}: configuration changed: {Change}", InterfaceName, interfaceChanges);
        if (peerChanges is null)
            logger.LogInformation("{Interface}: configuration changed: {Count} peers updated", InterfaceName, update.Peers.Count);
        else
            foreach (var (peer, change) in peerChanges)
                logger.LogInformation("{Interface}: {Peer}: {Change}", InterfaceName, peer, change);
        return result;
    }

    public static string DescribeInterface(DeviceUpdate update)
    {
        var parts = new List<string>();
        if (update.PrivateKey is { } key) parts.Add(key.IsZero ? "private key removed" : "private key set");
        if (update.ListenPort is { } port) parts.Add("listen port " + port.ToString(CultureInfo.InvariantCulture));
        if (update.FwMark is { } mark) parts.Add("fwmark " + mark.ToString(CultureInfo.InvariantCulture));
        if (update.RTable is { } rtable) parts.Add("rtable " + rtable.ToString(CultureInfo.InvariantCulture));
        if (update.Debug is { } debug) parts.Add(debug ? "debug on" : "debug off");
        if (update.ReplacePeers || update.RemoveAllPeers) parts.Add("all peers removed first");
        return string.Join(", ", parts);
    }

    public static string DescribePeer(PeerUpdate peer)
    {
        if (peer.Remove) return "removed";
        var parts = new List<string>();
        if (peer.Endpoint is { } endpoint) parts.Add("endpoint " + endpoint + (peer.EndpointName is { } name ? $" ({name.Host})" : ""));
        if (peer.PresharedKey is { } psk) parts.Add(psk.IsZero ? "preshared key removed" : "preshared key set");
        if (peer.PersistentKeepalive is { } pka) parts.Add("persistent keepalive " + pka.ToString(CultureInfo.InvariantCulture));
        if (peer.ReplaceAllowedIps) parts.Add("allowed IPs replaced");
        if (peer.AddAllowedIps.Count > 0) parts.Add("allowed IPs + " + Prefixes(peer.AddAllowedIps));
        if (peer.RemoveAllowedIps.Count > 0) parts.Add("allowed IPs - " + Prefixes(peer.RemoveAllowedIps));
        if (peer.Description is { } description) parts.Add(description.Length == 0 ? "description removed" : "description set");
        return parts.Count == 0 ? (peer.UpdateOnly ? "unchanged" : "added or unchanged") : string.Join(", ", parts);
    }

    /// <summary>A few prefixes by name, many as a count (one peer can carry a hundred thousand).</summary>
    private static string Prefixes(IReadOnlyCollection<IpPrefix> prefixes) =>
        prefixes.Count <= 8 ? string.Join(' ', prefixes.Select(p => p.ToString())) : $"{prefixes.Count} prefixes";
}
