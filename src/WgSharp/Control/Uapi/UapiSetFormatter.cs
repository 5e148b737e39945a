using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Writes a <see cref="DeviceUpdate"/> as the body of a `set=1` request, in the order wg(8) uses
/// (device keys, then per peer: public_key, remove or update_only, preshared_key, endpoint,
/// persistent_keepalive_interval, replace_allowed_ips, allowed_ip...). wgsharp's extension keys are
/// written only when the update uses them, so a plain update is understood by wireguard-go too.
/// <see cref="UapiSetParser"/> turns the text back into an equal update. The client writes it through a
/// <see cref="UapiReplyWriter"/>, so the keys' hex goes digit by digit into locked memory, never into a string.
/// </summary>
internal static class UapiSetFormatter
{
    /// <summary>The whole request as text: "set=1\n", the body, and the terminating blank line (tests and tools; it holds the keys).</summary>
    public static string FormatRequest(DeviceUpdate update) =>
        UapiProtocol.SetOperation + "\n" + FormatBody(update) + "\n";

    /// <summary>Only the key=value lines, each ending in '\n' (tests and tools; it holds the keys).</summary>
    /// <exception cref="ArgumentException">A description contains a control character (it could not be framed).</exception>
    public static string FormatBody(DeviceUpdate update)
    {
        using var text = new MemoryStream();
        using (var writer = new UapiReplyWriter(text))
        {
            Validate(update);
            WriteBodyChecked(update, writer);
            writer.Flush();
        }
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    /// <summary>The whole request, "set=1" to the blank line, through <paramref name="w"/> (not flushed).</summary>
    /// <exception cref="ArgumentException">A description contains a control character (it could not be framed).</exception>
    public static void WriteRequest(DeviceUpdate update, UapiReplyWriter w)
    {
        Validate(update);
        w.Write("set=1\n"u8);
        WriteBodyChecked(update, w);
        w.Write("\n"u8);
    }

    /// <summary>Checked before a byte is written: a refused update must not leave half a request on the socket.</summary>
    private static void Validate(DeviceUpdate update)
    {
        if (update.RTable is < 0 or > 255) throw new ArgumentException($"rtable {update.RTable} is outside 0..255", nameof(update));
        foreach (var peer in update.Peers) Validate(peer);
    }

    private static void WriteBodyChecked(DeviceUpdate update, UapiReplyWriter w)
    {
        if (update.PrivateKey is { } privateKey) w.WriteLine("private_key="u8, privateKey);
        if (update.ListenPort is { } port) w.WriteLine("listen_port="u8, port);
        if (update.FwMark is { } mark) w.WriteLine("fwmark="u8, mark);
        if (update.ReplacePeers) w.Write("replace_peers=true\n"u8);
        if (update.RemoveAllPeers) w.Write("remove_all_peers=true\n"u8);
        if (update.Debug is { } debug) w.Write(debug ? "debug=true\n"u8 : "debug=false\n"u8);
        if (update.RTable is { } table) w.WriteLine("rtable="u8, (ulong)table);
        foreach (var peer in update.Peers) WritePeer(w, peer);
    }

    private static void Validate(PeerUpdate peer)
    {
        if (peer.Remove) return;
        if (peer.EndpointName is { } name && !EndpointName.IsValidHost(name.Host))
            throw new ArgumentException("an endpoint host name cannot contain ':', spaces or control characters", nameof(peer));
        if (peer.Description is { } description && description.Any(char.IsControl))
            throw new ArgumentException("a peer description cannot contain control characters", nameof(peer));
    }

    private static void WritePeer(UapiReplyWriter w, PeerUpdate peer)
    {
        w.WriteLine("public_key="u8, peer.PublicKey);
        if (peer.Remove)
        {
            // As wg(8) does: nothing else about a peer that is going away matters.
            w.Write("remove=true\n"u8);
            return;
        }
        if (peer.UpdateOnly) w.Write("update_only=true\n"u8);
        if (peer.PresharedKey is { } psk) w.WriteLine("preshared_key="u8, psk);
        if (peer.Endpoint is { } endpoint) w.WriteLine("endpoint="u8, UapiAddressText.FormatEndpoint(endpoint));
        if (peer.PersistentKeepalive is { } keepalive) w.WriteLine("persistent_keepalive_interval="u8, keepalive);
        if (peer.ProtocolVersion is { } version) w.WriteLine("protocol_version="u8, (ulong)version);
        if (peer.EndpointName is { } name) w.WriteLine(Encoding.ASCII.GetBytes(UapiProtocol.EndpointHostKey + "="), name.ToString());
        if (peer.Description is { } description) w.WriteLine("description="u8, description);
        if (peer.ReplaceAllowedIps) w.Write("replace_allowed_ips=true\n"u8);
        // Removals first: if a prefix is in both lists, the line order makes the addition win.
        foreach (var prefix in peer.RemoveAllowedIps) w.WriteLine("remove_allowed_ip="u8, UapiAddressText.FormatPrefix(prefix));
        foreach (var prefix in peer.AddAllowedIps) w.WriteLine("allowed_ip="u8, UapiAddressText.FormatPrefix(prefix));
    }
}
