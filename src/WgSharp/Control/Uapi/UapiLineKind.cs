namespace WgSharp.Control.Uapi;

/// <summary>
/// Names a refused UAPI line for logs and error messages without repeating what it carried: a client's
/// mistake often holds a key (`private_key=...` without `set=1`, a line missing its '='), so only the
/// name of a recognised key is ever shown, never a value and never unrecognised text.
/// </summary>
internal static class UapiLineKind
{
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "get", "set", "errno", "private_key", "listen_port", "fwmark", "replace_peers", "public_key", "preshared_key",
        "endpoint", "persistent_keepalive_interval", "replace_allowed_ips", "allowed_ip", "update_only", "remove",
        "protocol_version", "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes",
        "remove_all_peers", "debug", "rtable", "remove_allowed_ip", "description", "endpoint_host",
    };

    /// <summary>"key 'listen_port'" for a recognised key, else "an unrecognised key".</summary>
    public static string Key(string key) => KnownKeys.Contains(key) ? $"key '{key}'" : "an unrecognised key";

    /// <summary>The same for a key still in characters: only a recognised key ever becomes a string.</summary>
    public static string Key(ReadOnlySpan<char> key) =>
        KnownKeys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var known) ? $"key '{known}'" : "an unrecognised key";

    /// <summary>What kind of line this is: "a line without '='", "a line with key 'x'" or "a line with an unrecognised key".</summary>
    public static string Of(string line)
    {
        int equals = line.IndexOf('=');
        return equals < 0 ? "a line without '='" : $"a line with {Key(line[..equals])}";
    }

    /// <summary>The same for a line still in UTF-8 bytes (what the server reads): the line itself never becomes a string.</summary>
    public static string Of(ReadOnlySpan<byte> line)
    {
        int equals = line.IndexOf((byte)'=');
        if (equals < 0) return "a line without '='";
        var keyBytes = line[..equals];
        if (keyBytes.Length > 40) return "a line with an unrecognised key";
        Span<char> key = stackalloc char[keyBytes.Length];
        for (int i = 0; i < keyBytes.Length; i++) key[i] = keyBytes[i] < 0x80 ? (char)keyBytes[i] : '\uFFFD';
        return $"a line with {Key(key)}";
    }
}
