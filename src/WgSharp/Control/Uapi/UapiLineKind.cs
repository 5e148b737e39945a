namespace WgSharp.Control.Uapi;

/// <summary>
/// Names a refused UAPI line for logs and error messages without repeating what it carried: a client's
/// mistake often holds a key (`private_key=...` without `set=1`, a line missing its '='), so only the
/// name of a recognised key is ever shown, never a value and never unrecognised text.
/// </summary>
internal static class UapiLineKind
{
    private static readonly HashSet<string> KnownKeys =
    [
        "get", "set", "errno", "private_key", "listen_port", "fwmark", "replace_peers", "public_key", "preshared_key",
        "endpoint", "persistent_keepalive_interval", "replace_allowed_ips", "allowed_ip", "update_only", "remove",
        "protocol_version", "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes",
        "remove_all_peers", "debug", "rtable", "remove_allowed_ip", "description",
    ];

    /// <summary>"key 'listen_port'" for a recognised key, else "an unrecognised key".</summary>
    public static string Key(string key) => KnownKeys.Contains(key) ? $"key '{key}'" : "an unrecognised key";

    /// <summary>What kind of line this is: "a line without '='", "a line with key 'x'" or "a line with an unrecognised key".</summary>
    public static string Of(string line)
    {
        int equals = line.IndexOf('=');
        return equals < 0 ? "a line without '='" : $"a line with {Key(line[..equals])}";
    }
}
