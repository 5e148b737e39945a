using System.Globalization;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// The outputs of `wg show`: the pretty report, the one-field "ugly" listings (public-key,
/// endpoints, transfer ...) and the tab-separated dump, byte for byte as wg(8) writes them.
/// </summary>
internal static class WgShowFormatter
{
    /// <summary>The field names `show IFNAME FIELD` accepts.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys", "endpoints",
        "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive", "dump",
    ];

    /// <summary>
    /// The pretty report. Peers are listed most recent handshake first, peers that never
    /// exchanged anything last (a stable sort, as glibc's qsort is). Private and preshared keys
    /// show as "(hidden)" unless <paramref name="showKeys"/> (wg's WG_HIDE_KEYS=never).
    /// </summary>
    public static string Pretty(DeviceStatus device, DateTimeOffset now, TerminalColors c, bool showKeys = false)
    {
        var sb = new StringBuilder(512);
        sb.Append(c.Reset);
        sb.Append(c.Green).Append(c.Bold).Append("interface").Append(c.Reset).Append(": ")
          .Append(c.Green).Append(device.InterfaceName).Append(c.Reset).Append('\n');
        if (device.PublicKey is { } publicKey) Field(sb, c, "public key", publicKey.ToBase64());
        if (device.PrivateKey is { } privateKey) Field(sb, c, "private key", showKeys ? privateKey.ToBase64() : "(hidden)");
        if (device.ListenPort != 0) Field(sb, c, "listening port", device.ListenPort.ToString(CultureInfo.InvariantCulture));
        if (device.FwMark != 0) Field(sb, c, "fwmark", Hex(device.FwMark));

        var peers = SortForReport(device.Peers);
        if (peers.Count > 0) sb.Append('\n');
        for (int i = 0; i < peers.Count; i++)
        {
            var peer = peers[i];
            sb.Append(c.Yellow).Append(c.Bold).Append("peer").Append(c.Reset).Append(": ")
              .Append(c.Yellow).Append(peer.PublicKey.ToBase64()).Append(c.Reset).Append('\n');
            if (peer.PresharedKey is { } psk) Field(sb, c, "preshared key", showKeys ? psk.ToBase64() : "(hidden)");
            if (peer.Endpoint is { } endpoint) Field(sb, c, "endpoint", InetText.FormatEndpoint(endpoint));
            sb.Append("  ").Append(c.Bold).Append("allowed ips").Append(c.Reset).Append(": ");
            if (peer.AllowedIps.Count == 0) sb.Append("(none)");
            for (int j = 0; j < peer.AllowedIps.Count; j++)
            {
                if (j > 0) sb.Append(", ");
                var prefix = peer.AllowedIps[j];
                sb.Append(InetText.FormatAddress(prefix.Address)).Append(c.Cyan).Append('/').Append(c.Reset)
                  .Append(prefix.Bits.ToString(CultureInfo.InvariantCulture));
            }
            sb.Append('\n');
            if (HandshakeSeconds(peer) != 0) Field(sb, c, "latest handshake", HumanText.Ago(peer.LastHandshake!.Value, now, c));
            if (peer.RxBytes != 0 || peer.TxBytes != 0)
                Field(sb, c, "transfer", HumanText.Bytes(peer.RxBytes, c) + " received, " + HumanText.Bytes(peer.TxBytes, c) + " sent");
            if (peer.PersistentKeepalive != 0) Field(sb, c, "persistent keepalive", HumanText.Every(peer.PersistentKeepalive, c));
            if (i + 1 < peers.Count) sb.Append('\n');
        }
        return sb.ToString();
    }

    private static void Field(StringBuilder sb, TerminalColors c, string name, string value) =>
        sb.Append("  ").Append(c.Bold).Append(name).Append(c.Reset).Append(": ").Append(value).Append('\n');

    /// <summary>wg's report order: newest handshake first; peers with no handshake and no traffic last.</summary>
    public static List<PeerStatus> SortForReport(IReadOnlyList<PeerStatus> peers)
    {
        var sorted = peers.ToList();
        // List.Sort is not stable; break ties by the original position to keep the device's order.
        var position = new Dictionary<PeerStatus, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < sorted.Count; i++) position[sorted[i]] = i;
        sorted.Sort((a, b) =>
        {
            int order = CompareForReport(a, b);
            return order != 0 ? order : position[a].CompareTo(position[b]);
        });
        return sorted;
    }

    private static int CompareForReport(PeerStatus a, PeerStatus b)
    {
        bool aIdle = HandshakeSeconds(a) == 0 && a.RxBytes == 0 && a.TxBytes == 0;
        bool bIdle = HandshakeSeconds(b) == 0 && b.RxBytes == 0 && b.TxBytes == 0;
        if (aIdle && !bIdle) return 1;
        if (bIdle && !aIdle) return -1;
        long aTicks = a.LastHandshake?.UtcTicks ?? 0, bTicks = b.LastHandshake?.UtcTicks ?? 0;
        return bTicks.CompareTo(aTicks);
    }

    /// <summary>
    /// One field per line: `show IFNAME FIELD` (or with the interface name first for `show all FIELD`).
    /// Returns null for an unknown field.
    /// </summary>
    public static string? Field(DeviceStatus device, string field, bool withInterface)
    {
        var sb = new StringBuilder(256);
        string prefix = withInterface ? device.InterfaceName + "\t" : "";
        switch (field)
        {
            case "public-key": sb.Append(prefix).Append(MaybeKey(device.PublicKey)).Append('\n'); break;
            case "private-key": sb.Append(prefix).Append(MaybeKey(device.PrivateKey)).Append('\n'); break;
            case "listen-port": sb.Append(prefix).Append(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Append('\n'); break;
            case "fwmark": sb.Append(prefix).Append(FwMark(device.FwMark)).Append('\n'); break;
            case "dump": return Dump(device, withInterface);
            default:
                if (!Fields.Contains(field)) return null;
                foreach (var peer in device.Peers)
                {
                    sb.Append(prefix).Append(peer.PublicKey.ToBase64());
                    sb.Append(field switch
                    {
                        "peers" => "",
                        "endpoints" => "\t" + Endpoint(peer),
                        "allowed-ips" => "\t" + AllowedIps(peer, ' '),
                        "latest-handshakes" => "\t" + HandshakeSeconds(peer).ToString(CultureInfo.InvariantCulture),
                        "transfer" => "\t" + Number(peer.RxBytes) + "\t" + Number(peer.TxBytes),
                        "persistent-keepalive" => "\t" + Keepalive(peer),
                        _ /* preshared-keys */ => "\t" + MaybeKey(peer.PresharedKey),
                    });
                    sb.Append('\n');
                }
                break;
        }
        return sb.ToString();
    }

    /// <summary>
    /// `wg show IFNAME dump`: the interface line (private key, public key, listen port, fwmark),
    /// then one line per peer (public key, preshared key, endpoint, allowed ips, latest handshake,
    /// rx, tx, persistent keepalive), tab-separated; every line prefixed by the name for `show all dump`.
    /// </summary>
    public static string Dump(DeviceStatus device, bool withInterface)
    {
        var sb = new StringBuilder(256 + device.Peers.Count * 200);
        string prefix = withInterface ? device.InterfaceName + "\t" : "";
        sb.Append(prefix).Append(MaybeKey(device.PrivateKey)).Append('\t').Append(MaybeKey(device.PublicKey)).Append('\t')
          .Append(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(FwMark(device.FwMark)).Append('\n');
        foreach (var peer in device.Peers)
        {
            sb.Append(prefix).Append(peer.PublicKey.ToBase64()).Append('\t')
              .Append(MaybeKey(peer.PresharedKey)).Append('\t')
              .Append(Endpoint(peer)).Append('\t')
              .Append(AllowedIps(peer, ',')).Append('\t')
              .Append(HandshakeSeconds(peer).ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(Number(peer.RxBytes)).Append('\t').Append(Number(peer.TxBytes)).Append('\t')
              .Append(Keepalive(peer)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Whole seconds of the last handshake since the epoch, 0 for none (what wg prints).</summary>
    public static long HandshakeSeconds(PeerStatus peer) =>
        peer.LastHandshake is { } t ? Math.Max(0, t.ToUnixTimeSeconds()) : 0;

    private static string MaybeKey(Key? key) => key is { } k ? k.ToBase64() : "(none)";

    private static string FwMark(uint mark) => mark == 0 ? "off" : Hex(mark);

    private static string Hex(uint mark) => "0x" + mark.ToString("x", CultureInfo.InvariantCulture);

    private static string Endpoint(PeerStatus peer) => peer.Endpoint is { } e ? InetText.FormatEndpoint(e) : "(none)";

    private static string Keepalive(PeerStatus peer) =>
        peer.PersistentKeepalive == 0 ? "off" : peer.PersistentKeepalive.ToString(CultureInfo.InvariantCulture);

    private static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    private static string AllowedIps(PeerStatus peer, char separator) =>
        peer.AllowedIps.Count == 0
            ? "(none)"
            : string.Join(separator, peer.AllowedIps.Select(p => InetText.FormatAddress(p.Address) + "/" + p.Bits.ToString(CultureInfo.InvariantCulture)));
}
