using System.Net;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Reads a `get=1` (or `get=wgsharp`) reply back into a <see cref="DeviceStatus"/>, the way wg(8)
/// does: unknown keys are skipped (so newer daemons stay readable), values of known keys must be
/// well formed, and the reply must carry an errno line; a nonzero errno becomes an exception.
/// </summary>
internal static class UapiGetParser
{
    private sealed class PeerBuilder(Key publicKey)
    {
        public Key PublicKey { get; } = publicKey;
        public Key? PresharedKey;
        public IPEndPoint? Endpoint;
        public ulong HandshakeSeconds, HandshakeNanoseconds;
        public ulong RxBytes, TxBytes;
        public ushort Keepalive;
        public int ProtocolVersion = 1;
        public string? Description;
        public List<IpPrefix> AllowedIps { get; } = [];
        public List<KeyValuePair<string, ulong>> Counters { get; } = [];
        public TimeSpan? KeypairAge;
        public EndpointName? EndpointName;

        public PeerStatus Build() => new()
        {
            PublicKey = PublicKey,
            PresharedKey = PresharedKey is { IsZero: false } ? PresharedKey : null,
            Endpoint = Endpoint,
            PersistentKeepalive = Keepalive,
            LastHandshake = HandshakeSeconds == 0 && HandshakeNanoseconds == 0
                ? null
                : DateTimeOffset.UnixEpoch.AddTicks((long)HandshakeSeconds * TimeSpan.TicksPerSecond + (long)HandshakeNanoseconds / 100),
            RxBytes = RxBytes,
            TxBytes = TxBytes,
            AllowedIps = AllowedIps,
            Description = Description,
            ProtocolVersion = ProtocolVersion,
            Counters = Counters,
            KeypairAge = KeypairAge,
            EndpointName = EndpointName,
        };
    }

    /// <summary>A century: far beyond any session (keys live three minutes), well inside TimeSpan.</summary>
    private const ulong MaxKeypairAgeMilliseconds = 3_155_760_000_000;

    /// <summary>Largest handshake time DateTimeOffset can represent (end of year 9999).</summary>
    private const ulong MaxUnixSeconds = 253_402_300_799;

    /// <summary>Parses reply text (lines up to and including the errno line; the blank line is optional).</summary>
    /// <exception cref="UapiProtocolException">The reply reported an errno or is malformed.</exception>
    public static DeviceStatus Parse(string interfaceName, string reply) =>
        Parse(interfaceName, reply.Split('\n'));

    /// <exception cref="UapiProtocolException">The reply reported an errno or is malformed.</exception>
    public static DeviceStatus Parse(string interfaceName, IEnumerable<string> lines)
    {
        Key? privateKey = null;
        ushort listenPort = 0;
        uint fwMark = 0;
        bool debug = false;
        int rTable = 0;
        var peers = new List<PeerBuilder>();
        var counters = new List<KeyValuePair<string, ulong>>();
        PeerBuilder? peer = null;
        int? errno = null;

        foreach (string line in lines)
        {
            if (line.Length == 0) break;
            int equals = line.IndexOf('=');
            if (equals < 0) throw Malformed("a line without '='");
            string key = line[..equals], value = line[(equals + 1)..];

            if (key == "errno")
            {
                // wireguard-go writes failures negative; accept either sign, report it positive.
                bool negative = value.StartsWith('-');
                if (!UapiDecimal.TryParse(negative ? value.AsSpan(1) : value, int.MaxValue, out ulong number))
                    throw Malformed("errno is not a number");
                errno = (int)number;
                continue;
            }
            if (key == "public_key")
            {
                peer = new PeerBuilder(ParseKey(key, value));
                peers.Add(peer);
                continue;
            }

            if (peer is null)
            {
                switch (key)
                {
                    case "private_key": privateKey = ParseKey(key, value); break;
                    case "listen_port": listenPort = (ushort)ParseNumber(key, value, ushort.MaxValue); break;
                    case "fwmark": fwMark = (uint)ParseNumber(key, value, uint.MaxValue); break;
                    case "debug": debug = value == "true"; break;
                    case "rtable": rTable = (int)ParseNumber(key, value, int.MaxValue); break;
                    case var name when name.StartsWith(UapiProtocol.CounterKeyPrefix, StringComparison.Ordinal):
                        counters.Add(ParseCounter(name, value));
                        break;
                }
                continue;
            }

            switch (key)
            {
                case "preshared_key": peer.PresharedKey = ParseKey(key, value); break;
                case "endpoint":
                    peer.Endpoint = UapiAddressText.TryParseEndpoint(value, out var endpoint)
                        ? endpoint : throw Malformed("endpoint is not an address and port");
                    break;
                case "last_handshake_time_sec": peer.HandshakeSeconds = ParseNumber(key, value, MaxUnixSeconds); break;
                case "last_handshake_time_nsec": peer.HandshakeNanoseconds = ParseNumber(key, value, 999_999_999); break;
                case "tx_bytes": peer.TxBytes = ParseNumber(key, value, ulong.MaxValue); break;
                case "rx_bytes": peer.RxBytes = ParseNumber(key, value, ulong.MaxValue); break;
                case "persistent_keepalive_interval": peer.Keepalive = (ushort)ParseNumber(key, value, ushort.MaxValue); break;
                case "protocol_version": peer.ProtocolVersion = (int)ParseNumber(key, value, int.MaxValue); break;
                case "description": peer.Description = value; break;
                case UapiProtocol.EndpointHostKey:
                    peer.EndpointName = EndpointName.TryParse(value) ?? throw Malformed("endpoint_host is not a host name and port");
                    break;
                case UapiProtocol.KeypairAgeKey: peer.KeypairAge = TimeSpan.FromMilliseconds((long)ParseNumber(key, value, MaxKeypairAgeMilliseconds)); break;
                case var name when name.StartsWith(UapiProtocol.CounterKeyPrefix, StringComparison.Ordinal):
                    peer.Counters.Add(ParseCounter(name, value));
                    break;
                case "allowed_ip":
                    peer.AllowedIps.Add(UapiAddressText.TryParsePrefix(value, out var prefix)
                        ? prefix.Value : throw Malformed("allowed_ip is not an address/prefix"));
                    break;
            }
        }

        if (errno is null) throw Malformed("reply has no errno line");
        if (errno != 0) throw new UapiProtocolException(errno.Value, $"device reported errno {errno}");

        return new DeviceStatus
        {
            InterfaceName = interfaceName,
            PrivateKey = privateKey,
            PublicKey = privateKey is { } sk ? KeyPair.DerivePublicKey(sk) : null,
            ListenPort = listenPort,
            FwMark = fwMark,
            Debug = debug,
            RTable = rTable,
            Peers = peers.Select(p => p.Build()).ToList(),
            Counters = counters,
        };
    }

    /// <summary>`count_NAME=N` as (NAME, N).</summary>
    private static KeyValuePair<string, ulong> ParseCounter(string key, string value) =>
        new(key[UapiProtocol.CounterKeyPrefix.Length..], ParseNumber(key, value, ulong.MaxValue));

    private static Key ParseKey(string name, string value) =>
        Key.TryParseHex(value, out var key) ? key : throw Malformed($"{name} is not 64 hex digits");

    private static ulong ParseNumber(string name, string value, ulong max) =>
        UapiDecimal.TryParse(value, max, out ulong number)
            ? number : throw Malformed($"{name} is not a number in range");

    private static UapiProtocolException Malformed(string message) => new(Errno.EPROTO, "malformed UAPI reply: " + message);
}
