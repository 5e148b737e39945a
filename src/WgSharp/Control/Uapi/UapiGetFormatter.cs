using System.Globalization;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Writes a <see cref="DeviceStatus"/> as the reply to `get=1`, in wireguard-go's order and format:
/// private_key (if set), listen_port (if nonzero), fwmark (if nonzero), then per peer public_key,
/// preshared_key (always; zeros when none), protocol_version=1, endpoint (if known),
/// last_handshake_time_sec/_nsec, tx_bytes, rx_bytes, persistent_keepalive_interval, allowed_ip...
/// followed by "errno=0" and the blank line. With <c>extensions</c> (the
/// `get=wgsharp` request) wgsharp's extra keys are added: debug, rtable, description, and the counters
/// as `count_NAME=N` (interface and peer) and `keypair_age_msec=N` (peer with a session).
/// </summary>
internal static class UapiGetFormatter
{
    /// <summary>The complete reply, including the "errno=0" line and the terminating blank line.</summary>
    public static string FormatReply(DeviceStatus status, bool extensions = false) =>
        string.Concat(FormatReplyChunks(status, extensions, chunkChars: int.MaxValue));

    /// <summary>
    /// The same reply in pieces of about <paramref name="chunkChars"/> characters, each ending at a line
    /// end: the server writes them as they come, so the reply for 100,000 peers (~35 MB of text) never
    /// has to exist in memory at once.
    /// </summary>
    public static IEnumerable<string> FormatReplyChunks(DeviceStatus status, bool extensions = false, int chunkChars = 32 * 1024)
    {
        var sb = new StringBuilder(Math.Min(chunkChars, 256 + status.Peers.Count * 256) + 512);
        AppendInterface(sb, status, extensions);
        foreach (var peer in status.Peers)
        {
            AppendPeer(sb, peer, extensions);
            if (sb.Length < chunkChars) continue;
            yield return sb.ToString();
            sb.Clear();
        }
        sb.Append(UapiProtocol.FormatErrnoLine(0));
        yield return sb.ToString();
    }

    private static void AppendInterface(StringBuilder sb, DeviceStatus status, bool extensions)
    {
        // wg showconf needs the private key; this is the one place it leaves the device.
        if (status.PrivateKey is { IsZero: false } privateKey) AppendKey(sb, "private_key", privateKey);
        if (status.ListenPort != 0) AppendNumber(sb, "listen_port", status.ListenPort);
        if (status.FwMark != 0) AppendNumber(sb, "fwmark", status.FwMark);
        if (extensions)
        {
            if (status.Debug) sb.Append("debug=true\n");
            if (status.RTable != 0) AppendNumber(sb, "rtable", (ulong)status.RTable);
            AppendCounters(sb, status.Counters);
        }
    }

    private static void AppendPeer(StringBuilder sb, PeerStatus peer, bool extensions)
    {
        AppendKey(sb, "public_key", peer.PublicKey);
        AppendKey(sb, "preshared_key", peer.PresharedKey ?? Key.Zero);
        sb.Append("protocol_version=1\n");
        if (peer.Endpoint is not null) sb.Append("endpoint=").Append(UapiAddressText.FormatEndpoint(peer.Endpoint)).Append('\n');

        var (seconds, nanoseconds) = ToUnixTime(peer.LastHandshake);
        AppendNumber(sb, "last_handshake_time_sec", seconds);
        AppendNumber(sb, "last_handshake_time_nsec", nanoseconds);
        AppendNumber(sb, "tx_bytes", peer.TxBytes);
        AppendNumber(sb, "rx_bytes", peer.RxBytes);
        AppendNumber(sb, "persistent_keepalive_interval", peer.PersistentKeepalive);
        if (extensions && !string.IsNullOrEmpty(peer.Description))
            sb.Append("description=").Append(SingleLine(peer.Description)).Append('\n');
        if (extensions)
        {
            if (peer.EndpointName is { } name) sb.Append(UapiProtocol.EndpointHostKey).Append('=').Append(name.ToString()).Append('\n');
            AppendCounters(sb, peer.Counters);
            if (peer.KeypairAge is { } age) AppendNumber(sb, UapiProtocol.KeypairAgeKey, (ulong)Math.Max(0, (long)age.TotalMilliseconds));
        }
        foreach (var prefix in peer.AllowedIps)
            sb.Append("allowed_ip=").Append(UapiAddressText.FormatPrefix(prefix)).Append('\n');
    }

    /// <summary>Seconds and nanoseconds since the Unix epoch; (0, 0) for "never", as wireguard-go prints it.</summary>
    internal static (ulong Seconds, ulong Nanoseconds) ToUnixTime(DateTimeOffset? time)
    {
        if (time is null) return (0, 0);
        long ticks = time.Value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks <= 0) return (0, 0);
        return ((ulong)(ticks / TimeSpan.TicksPerSecond), (ulong)(ticks % TimeSpan.TicksPerSecond) * 100);
    }

    private static void AppendCounters(StringBuilder sb, IReadOnlyList<KeyValuePair<string, ulong>> counters)
    {
        foreach (var (name, value) in counters) AppendNumber(sb, UapiProtocol.CounterKeyPrefix + name, value);
    }

    private static void AppendKey(StringBuilder sb, string name, in Key key) =>
        sb.Append(name).Append('=').Append(key.ToHex()).Append('\n');

    private static void AppendNumber(StringBuilder sb, string name, ulong value) =>
        sb.Append(name).Append('=').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>A description set through another dialect could hold a newline; it must not break the framing.</summary>
    private static string SingleLine(string text) =>
        text.Any(char.IsControl) ? new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()) : text;
}
