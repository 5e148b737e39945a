using System.Text.Json;
using System.Text.Json.Serialization;
using WgSharp.Configuration;

namespace WgSharp.Cli.Wg;

/// <summary>
/// `wgsharp show IF json` and `wgsharp show all json`: the status as the JSON document of
/// docs/observability.md. Serialized by System.Text.Json source generation (no reflection: the CLI is
/// NativeAOT). Keys never appear: no private key, and a preshared key only as `has_preshared_key`.
/// </summary>
internal static class StatusJson
{
    public static string Interface(DeviceStatus status, DateTimeOffset now) =>
        JsonSerializer.Serialize(ToJson(status, now), StatusJsonContext.Default.InterfaceJson) + "\n";

    public static string All(IEnumerable<DeviceStatus> statuses, DateTimeOffset now) =>
        JsonSerializer.Serialize(new AllJson { Interfaces = statuses.Select(s => ToJson(s, now)).ToList() }, StatusJsonContext.Default.AllJson) + "\n";

    private static InterfaceJson ToJson(DeviceStatus status, DateTimeOffset now) => new()
    {
        Interface = status.InterfaceName,
        PublicKey = status.PublicKey is { IsZero: false } key ? key.ToBase64() : null,
        ListenPort = status.ListenPort,
        Fwmark = status.FwMark,
        Rtable = status.RTable,
        Counters = ToDictionary(status.Counters),
        Peers = status.Peers.Select(peer => ToJson(peer, now)).ToList(),
    };

    private static PeerJson ToJson(PeerStatus peer, DateTimeOffset now)
    {
        var handshake = peer.LastHandshake is { } at && at.ToUnixTimeSeconds() > 0 ? at : (DateTimeOffset?)null;
        return new PeerJson
        {
            PublicKey = peer.PublicKey.ToBase64(),
            Description = peer.Description,
            HasPresharedKey = peer.PresharedKey is { IsZero: false },
            Endpoint = peer.Endpoint is { } endpoint ? InetText.FormatEndpoint(endpoint) : null,
            EndpointHost = peer.EndpointName?.ToString(),
            AllowedIps = peer.AllowedIps.Select(p => p.ToString()).ToList(),
            Transfer = new TransferJson { RxBytes = peer.RxBytes, TxBytes = peer.TxBytes },
            LatestHandshake = handshake?.ToUnixTimeSeconds() ?? 0,
            LatestHandshakeSecondsAgo = handshake is { } h ? Math.Max(0, now.ToUnixTimeSeconds() - h.ToUnixTimeSeconds()) : null,
            KeypairAgeSeconds = peer.KeypairAge is { } age ? (long)age.TotalSeconds : null,
            PersistentKeepalive = peer.PersistentKeepalive,
            Counters = ToDictionary(peer.Counters),
        };
    }

    private static Dictionary<string, ulong> ToDictionary(IReadOnlyList<KeyValuePair<string, ulong>> counters)
    {
        var map = new Dictionary<string, ulong>(counters.Count);
        foreach (var (name, value) in counters) map[name] = value;
        return map;
    }
}

internal sealed class AllJson
{
    public List<InterfaceJson> Interfaces { get; init; } = [];
}

internal sealed class InterfaceJson
{
    public required string Interface { get; init; }
    public string? PublicKey { get; init; }
    public ushort ListenPort { get; init; }
    public uint Fwmark { get; init; }
    public int Rtable { get; init; }
    public Dictionary<string, ulong> Counters { get; init; } = [];
    public List<PeerJson> Peers { get; init; } = [];
}

internal sealed class PeerJson
{
    public required string PublicKey { get; init; }
    public string? Description { get; init; }
    public bool HasPresharedKey { get; init; }
    public string? Endpoint { get; init; }
    /// <summary>HOST:PORT when the endpoint follows a DNS name (wgsharp daemons), else null.</summary>
    public string? EndpointHost { get; init; }
    public List<string> AllowedIps { get; init; } = [];
    public required TransferJson Transfer { get; init; }
    /// <summary>Unix seconds of the last completed handshake, 0 for never (as `wg show latest-handshakes`).</summary>
    public long LatestHandshake { get; init; }
    public long? LatestHandshakeSecondsAgo { get; init; }
    public long? KeypairAgeSeconds { get; init; }
    public ushort PersistentKeepalive { get; init; }
    public Dictionary<string, ulong> Counters { get; init; } = [];
}

internal sealed class TransferJson
{
    public ulong RxBytes { get; init; }
    public ulong TxBytes { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InterfaceJson))]
[JsonSerializable(typeof(AllJson))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
