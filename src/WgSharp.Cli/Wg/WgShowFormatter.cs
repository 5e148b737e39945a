using System.Globalization;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>
/// The outputs of `wg show`: the pretty report, the one-field "ugly" listings (public-key,
/// endpoints, transfer ...) and the tab-separated dump, byte for byte as wg(8) writes them. Written into a
/// <see cref="KeyTextOutput"/>, so private and preshared keys go from their bytes to stdout's, never via a string.
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
    public static void Pretty(DeviceStatus device, DateTimeOffset now, TerminalColors c, KeyTextOutput o, bool showKeys = false)
    {
        o.Write(c.Reset);
        o.Write(c.Green).Write(c.Bold).Write("interface").Write(c.Reset).Write(": ")
         .Write(c.Green).Write(device.InterfaceName).Write(c.Reset).Write('\n');
        if (device.PublicKey is { } publicKey) FieldName(o, c, "public key").WriteKey(publicKey).Write('\n');
        if (device.PrivateKey is { } privateKey) SecretField(o, c, "private key", privateKey, showKeys);
        if (device.ListenPort != 0) Field(o, c, "listening port", device.ListenPort.ToString(CultureInfo.InvariantCulture));
        if (device.FwMark != 0) Field(o, c, "fwmark", Hex(device.FwMark));

        var peers = SortForReport(device.Peers);
        if (peers.Count > 0) o.Write('\n');
        for (int i = 0; i < peers.Count; i++)
        {
            var peer = peers[i];
            o.Write(c.Yellow).Write(c.Bold).Write("peer").Write(c.Reset).Write(": ")
             .Write(c.Yellow).WriteKey(peer.PublicKey).Write(c.Reset).Write('\n');
            if (peer.PresharedKey is { } psk) SecretField(o, c, "preshared key", psk, showKeys);
            if (peer.Endpoint is { } endpoint) Field(o, c, "endpoint", InetText.FormatEndpoint(endpoint));
            o.Write("  ").Write(c.Bold).Write("allowed ips").Write(c.Reset).Write(": ");
            if (peer.AllowedIps.Count == 0) o.Write("(none)");
            for (int j = 0; j < peer.AllowedIps.Count; j++)
            {
                if (j > 0) o.Write(", ");
                var prefix = peer.AllowedIps[j];
                o.Write(InetText.FormatAddress(prefix.Address)).Write(c.Cyan).Write('/').Write(c.Reset)
                 .Write(prefix.Bits.ToString(CultureInfo.InvariantCulture));
            }
            o.Write('\n');
            if (HandshakeSeconds(peer) != 0) Field(o, c, "latest handshake", HumanText.Ago(peer.LastHandshake!.Value, now, c));
            if (peer.RxBytes != 0 || peer.TxBytes != 0)
                Field(o, c, "transfer", HumanText.Bytes(peer.RxBytes, c) + " received, " + HumanText.Bytes(peer.TxBytes, c) + " sent");
            if (peer.PersistentKeepalive != 0) Field(o, c, "persistent keepalive", HumanText.Every(peer.PersistentKeepalive, c));
            if (i + 1 < peers.Count) o.Write('\n');
        }
    }

    private static KeyTextOutput FieldName(KeyTextOutput o, TerminalColors c, string name) =>
        o.Write("  ").Write(c.Bold).Write(name).Write(c.Reset).Write(": ");

    private static void Field(KeyTextOutput o, TerminalColors c, string name, string value) =>
        FieldName(o, c, name).Write(value).Write('\n');

    private static void SecretField(KeyTextOutput o, TerminalColors c, string name, in Key key, bool showKeys)
    {
        FieldName(o, c, name);
        if (showKeys) o.WriteKey(key);
        else o.Write("(hidden)");
        o.Write('\n');
    }

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

    /// <summary>Whether <paramref name="field"/> is one `show IFNAME FIELD` accepts.</summary>
    public static bool IsField(string field) => Fields.Contains(field);

    /// <summary>
    /// One field per line: `show IFNAME FIELD` (or with the interface name first for `show all FIELD`);
    /// <paramref name="field"/> must be one of <see cref="Fields"/>.
    /// </summary>
    public static void Field(DeviceStatus device, string field, bool withInterface, KeyTextOutput o)
    {
        string prefix = withInterface ? device.InterfaceName + "\t" : "";
        switch (field)
        {
            case "public-key": o.Write(prefix).WriteKeyOrNone(device.PublicKey).Write('\n'); break;
            case "private-key": o.Write(prefix).WriteKeyOrNone(device.PrivateKey).Write('\n'); break;
            case "listen-port": o.Write(prefix).Write(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Write('\n'); break;
            case "fwmark": o.Write(prefix).Write(FwMark(device.FwMark)).Write('\n'); break;
            case "dump": Dump(device, withInterface, o); break;
            default:
                foreach (var peer in device.Peers)
                {
                    o.Write(prefix).WriteKey(peer.PublicKey);
                    switch (field)
                    {
                        case "peers": break;
                        case "endpoints": o.Write('\t').Write(Endpoint(peer)); break;
                        case "allowed-ips": o.Write('\t').Write(AllowedIps(peer, ' ')); break;
                        case "latest-handshakes": o.Write('\t').Write(HandshakeSeconds(peer).ToString(CultureInfo.InvariantCulture)); break;
                        case "transfer": o.Write('\t').Write(Number(peer.RxBytes)).Write('\t').Write(Number(peer.TxBytes)); break;
                        case "persistent-keepalive": o.Write('\t').Write(Keepalive(peer)); break;
                        default /* preshared-keys */: o.Write('\t').WriteKeyOrNone(peer.PresharedKey); break;
                    }
                    o.Write('\n');
                }
                break;
        }
    }

    /// <summary>
    /// `wg show IFNAME dump`: the interface line (private key, public key, listen port, fwmark),
    /// then one line per peer (public key, preshared key, endpoint, allowed ips, latest handshake,
    /// rx, tx, persistent keepalive), tab-separated; every line prefixed by the name for `show all dump`.
    /// </summary>
    public static void Dump(DeviceStatus device, bool withInterface, KeyTextOutput o)
    {
        string prefix = withInterface ? device.InterfaceName + "\t" : "";
        o.Write(prefix).WriteKeyOrNone(device.PrivateKey).Write('\t').WriteKeyOrNone(device.PublicKey).Write('\t')
         .Write(device.ListenPort.ToString(CultureInfo.InvariantCulture)).Write('\t').Write(FwMark(device.FwMark)).Write('\n');
        foreach (var peer in device.Peers)
        {
            o.Write(prefix).WriteKey(peer.PublicKey).Write('\t')
             .WriteKeyOrNone(peer.PresharedKey).Write('\t')
             .Write(Endpoint(peer)).Write('\t')
             .Write(AllowedIps(peer, ',')).Write('\t')
             .Write(HandshakeSeconds(peer).ToString(CultureInfo.InvariantCulture)).Write('\t')
             .Write(Number(peer.RxBytes)).Write('\t').Write(Number(peer.TxBytes)).Write('\t')
             .Write(Keepalive(peer)).Write('\n');
        }
    }

    /// <summary>Whole seconds of the last handshake since the epoch, 0 for none (what wg prints).</summary>
    public static long HandshakeSeconds(PeerStatus peer) =>
        peer.LastHandshake is { } t ? Math.Max(0, t.ToUnixTimeSeconds()) : 0;

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
