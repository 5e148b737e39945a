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
    /// <summary>The complete reply as text, including the "errno=0" line and the terminating blank line (tests and tools; it holds the keys).</summary>
    public static string FormatReply(DeviceStatus status, bool extensions = false)
    {
        using var text = new MemoryStream();
        using (var writer = new UapiReplyWriter(text)) WriteReply(status, extensions, writer);
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    /// <summary>
    /// Writes the whole reply through <paramref name="writer"/> and flushes it. The writer sends each full
    /// buffer as it goes, so the reply for 100,000 peers (~35 MB of text) never has to exist in memory at once.
    /// </summary>
    public static void WriteReply(DeviceStatus status, bool extensions, UapiReplyWriter writer)
    {
        WriteInterface(writer, status, extensions);
        foreach (var peer in status.Peers) WritePeer(writer, peer, extensions);
        writer.Write("errno=0\n\n"u8);
        writer.Flush();
    }

    private static void WriteInterface(UapiReplyWriter w, DeviceStatus status, bool extensions)
    {
        // wg showconf needs the private key; this is the one place it leaves the device.
        if (status.PrivateKey is { IsZero: false } privateKey) w.WriteLine("private_key="u8, privateKey);
        if (status.ListenPort != 0) w.WriteLine("listen_port="u8, status.ListenPort);
        if (status.FwMark != 0) w.WriteLine("fwmark="u8, status.FwMark);
        if (extensions)
        {
            if (status.Debug) w.Write("debug=true\n"u8);
            if (status.RTable != 0) w.WriteLine("rtable="u8, (ulong)status.RTable);
            WriteCounters(w, status.Counters);
        }
    }

    private static void WritePeer(UapiReplyWriter w, PeerStatus peer, bool extensions)
    {
        w.WriteLine("public_key="u8, peer.PublicKey);
        w.WriteLine("preshared_key="u8, peer.PresharedKey ?? Key.Zero);
        w.Write("protocol_version=1\n"u8);
        if (peer.Endpoint is not null) w.WriteLine("endpoint="u8, UapiAddressText.FormatEndpoint(peer.Endpoint));

        var (seconds, nanoseconds) = ToUnixTime(peer.LastHandshake);
        w.WriteLine("last_handshake_time_sec="u8, seconds);
        w.WriteLine("last_handshake_time_nsec="u8, nanoseconds);
        w.WriteLine("tx_bytes="u8, peer.TxBytes);
        w.WriteLine("rx_bytes="u8, peer.RxBytes);
        w.WriteLine("persistent_keepalive_interval="u8, peer.PersistentKeepalive);
        if (extensions && !string.IsNullOrEmpty(peer.Description)) w.WriteLine("description="u8, SingleLine(peer.Description));
        if (extensions)
        {
            if (peer.EndpointName is { } name) w.WriteLine("endpoint_host="u8, name.ToString());
            WriteCounters(w, peer.Counters);
            if (peer.KeypairAge is { } age) w.WriteLine("keypair_age_msec="u8, (ulong)Math.Max(0, (long)age.TotalMilliseconds));
        }
        foreach (var prefix in peer.AllowedIps) w.WriteLine("allowed_ip="u8, UapiAddressText.FormatPrefix(prefix));
    }

    /// <summary>Seconds and nanoseconds since the Unix epoch; (0, 0) for "never", as wireguard-go prints it.</summary>
    internal static (ulong Seconds, ulong Nanoseconds) ToUnixTime(DateTimeOffset? time)
    {
        if (time is null) return (0, 0);
        long ticks = time.Value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks <= 0) return (0, 0);
        return ((ulong)(ticks / TimeSpan.TicksPerSecond), (ulong)(ticks % TimeSpan.TicksPerSecond) * 100);
    }

    private static void WriteCounters(UapiReplyWriter w, IReadOnlyList<KeyValuePair<string, ulong>> counters)
    {
        foreach (var (name, value) in counters)
        {
            w.Write(UapiProtocol.CounterKeyPrefix);
            w.Write(name);
            w.WriteLine("="u8, value);
        }
    }




    /// <summary>A description set through another dialect could hold a newline; it must not break the framing.</summary>
    private static string SingleLine(string text) =>
        text.Any(char.IsControl) ? new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()) : text;
}
