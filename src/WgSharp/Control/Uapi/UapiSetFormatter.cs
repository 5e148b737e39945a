using System.Globalization;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Writes a <see cref="DeviceUpdate"/> as the body of a `set=1` request, in the order wg(8) uses
/// (device keys, then per peer: public_key, remove or update_only, preshared_key, endpoint,
/// persistent_keepalive_interval, replace_allowed_ips, allowed_ip...). wgsharp's extension keys are
/// written only when the update uses them, so a plain update is understood by wireguard-go too.
/// <see cref="UapiSetParser"/> turns the text back into an equal update.
/// </summary>
internal static class UapiSetFormatter
{
    /// <summary>The whole request: "set=1\n", the body, and the terminating blank line.</summary>
    public static string FormatRequest(DeviceUpdate update) =>
        UapiProtocol.SetOperation + "\n" + FormatBody(update) + "\n";

    /// <summary>Only the key=value lines, each ending in '\n'.</summary>
    /// <exception cref="ArgumentException">A description contains a control character (it could not be framed).</exception>
    public static string FormatBody(DeviceUpdate update)
    {
        var sb = new StringBuilder(128 + update.Peers.Count * 160);
        if (update.PrivateKey is { } privateKey) AppendKey(sb, "private_key", privateKey);
        if (update.ListenPort is { } port) AppendNumber(sb, "listen_port", port);
        if (update.FwMark is { } mark) AppendNumber(sb, "fwmark", mark);
        if (update.ReplacePeers) sb.Append("replace_peers=true\n");
        if (update.RemoveAllPeers) sb.Append("remove_all_peers=true\n");
        if (update.Debug is { } debug) sb.Append("debug=").Append(debug ? "true" : "false").Append('\n');
        if (update.RTable is { } table)
        {
            if (table is < 0 or > 255) throw new ArgumentException($"rtable {table} is outside 0..255", nameof(update));
            AppendNumber(sb, "rtable", (ulong)table);
        }

        foreach (var peer in update.Peers) AppendPeer(sb, peer);
        return sb.ToString();
    }

    private static void AppendPeer(StringBuilder sb, PeerUpdate peer)
    {
        AppendKey(sb, "public_key", peer.PublicKey);
        if (peer.Remove)
        {
            // As wg(8) does: nothing else about a peer that is going away matters.
            sb.Append("remove=true\n");
            return;
        }
        if (peer.UpdateOnly) sb.Append("update_only=true\n");
        if (peer.PresharedKey is { } psk) AppendKey(sb, "preshared_key", psk);
        if (peer.Endpoint is { } endpoint) sb.Append("endpoint=").Append(UapiAddressText.FormatEndpoint(endpoint)).Append('\n');
        if (peer.PersistentKeepalive is { } keepalive) AppendNumber(sb, "persistent_keepalive_interval", keepalive);
        if (peer.ProtocolVersion is { } version) AppendNumber(sb, "protocol_version", (ulong)version);
        if (peer.EndpointName is { } name)
        {
            if (!EndpointName.IsValidHost(name.Host)) throw new ArgumentException("an endpoint host name cannot contain ':', spaces or control characters", nameof(peer));
            sb.Append(UapiProtocol.EndpointHostKey).Append('=').Append(name.ToString()).Append('\n');
        }
        if (peer.Description is { } description)
        {
            if (description.Any(char.IsControl))
                throw new ArgumentException("a peer description cannot contain control characters", nameof(peer));
            sb.Append("description=").Append(description).Append('\n');
        }
        if (peer.ReplaceAllowedIps) sb.Append("replace_allowed_ips=true\n");
        // Removals first: if a prefix is in both lists, the line order makes the addition win.
        foreach (var prefix in peer.RemoveAllowedIps)
            sb.Append("remove_allowed_ip=").Append(UapiAddressText.FormatPrefix(prefix)).Append('\n');
        foreach (var prefix in peer.AddAllowedIps)
            sb.Append("allowed_ip=").Append(UapiAddressText.FormatPrefix(prefix)).Append('\n');
    }

    private static void AppendKey(StringBuilder sb, string name, in Key key) =>
        sb.Append(name).Append('=').Append(key.ToHex()).Append('\n');

    private static void AppendNumber(StringBuilder sb, string name, ulong value) =>
        sb.Append(name).Append('=').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
