using System.Net;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Reads a `get=1` (or `get=wgsharp`) reply back into a <see cref="DeviceStatus"/>, the way wg(8)
/// does: unknown keys are skipped (so newer daemons stay readable), values of known keys must be
/// well formed, and the reply must carry an errno line; a nonzero errno becomes an exception.
/// Lines are read as UTF-8 bytes, one at a time as they arrive: keys are parsed from the bytes, so the reply's
/// private and preshared keys never become text on the managed heap (issue 21); other values are not secret.
/// </summary>
internal sealed class UapiGetParser
{
    private sealed class PeerBuilder(Key publicKey)
    {
        public Key PublicKey { get; } = publicKey;
        // In an arena slot, not a Key? field: a collection moving this builder would leave the key behind.
        private SecretKeyCell? _presharedKey;
        public Key? PresharedKey { get => SecretKeyCell.Read(_presharedKey); set => SecretKeyCell.Replace(ref _presharedKey, value); }
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

        public void ClearSecrets() => PresharedKey = null;

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

    private SecretKeyCell? _privateKey; // as the builders' preshared keys: never a Key? on the heap
    private ushort _listenPort;
    private uint _fwMark;
    private bool _debug;
    private int _rTable;
    private readonly List<PeerBuilder> _peers = [];
    private readonly List<KeyValuePair<string, ulong>> _counters = [];
    private PeerBuilder? _peer;
    private int? _errno;
    private bool _ended;

    /// <summary>Parses reply text (lines up to and including the errno line; the blank line is optional).</summary>
    /// <exception cref="UapiProtocolException">The reply reported an errno or is malformed.</exception>
    public static DeviceStatus Parse(string interfaceName, string reply) =>
        Parse(interfaceName, reply.Split('\n'));

    /// <exception cref="UapiProtocolException">The reply reported an errno or is malformed.</exception>
    public static DeviceStatus Parse(string interfaceName, IEnumerable<string> lines)
    {
        var parser = new UapiGetParser();
        try
        {
            foreach (string line in lines)
                if (!parser.Accept(Encoding.UTF8.GetBytes(line))) break;
            return parser.Finish(interfaceName);
        }
        finally { parser.ClearSecrets(); }
    }

    /// <summary>Takes one line without its '\n'; false once the blank line that ends the reply has been seen.</summary>
    /// <exception cref="UapiProtocolException">The line is malformed.</exception>
    public bool Accept(ReadOnlySpan<byte> line)
    {
        if (_ended || line.IsEmpty) return !(_ended = true);
        int equals = line.IndexOf((byte)'=');
        if (equals < 0) throw Malformed("a line without '='");
        var key = line[..equals];
        var value = line[(equals + 1)..];

        if (key.SequenceEqual("errno"u8))
        {
            // wireguard-go writes failures negative; accept either sign, report it positive.
            bool negative = value.StartsWith("-"u8);
            if (!UapiDecimal.TryParse(Text(negative ? value[1..] : value), int.MaxValue, out ulong number))
                throw Malformed("errno is not a number");
            _errno = (int)number;
            return true;
        }
        if (key.SequenceEqual("public_key"u8))
        {
            _peer = new PeerBuilder(ParseKey("public_key", value));
            _peers.Add(_peer);
            return true;
        }
        if (key.SequenceEqual("private_key"u8))
        {
            if (_peer is null) SecretKeyCell.Replace(ref _privateKey, ParseKey("private_key", value));
            return true;
        }
        if (key.SequenceEqual("preshared_key"u8))
        {
            if (_peer is not null) _peer.PresharedKey = ParseKey("preshared_key", value);
            return true;
        }
        // No other value is secret: from here on, text.
        string name = Text(key);
        if (_peer is null) AcceptInterface(name, Text(value));
        else AcceptPeer(_peer, name, Text(value));
        return true;
    }

    private void AcceptInterface(string key, string value)
    {
        switch (key)
        {
            case "listen_port": _listenPort = (ushort)ParseNumber(key, value, ushort.MaxValue); break;
            case "fwmark": _fwMark = (uint)ParseNumber(key, value, uint.MaxValue); break;
            case "debug": _debug = value == "true"; break;
            case "rtable": _rTable = (int)ParseNumber(key, value, int.MaxValue); break;
            case var name when name.StartsWith(UapiProtocol.CounterKeyPrefix, StringComparison.Ordinal):
                _counters.Add(ParseCounter(name, value));
                break;
        }
    }

    private static void AcceptPeer(PeerBuilder peer, string key, string value)
    {
        switch (key)
        {
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

    /// <summary>The status the reply described.</summary>
    /// <exception cref="UapiProtocolException">The reply reported an errno or had none.</exception>
    public DeviceStatus Finish(string interfaceName)
    {
        if (_errno is null) throw Malformed("reply has no errno line");
        if (_errno != 0) throw new UapiProtocolException(_errno.Value, $"device reported errno {_errno}");

        var privateKey = SecretKeyCell.Read(_privateKey);
        return new DeviceStatus
        {
            InterfaceName = interfaceName,
            PrivateKey = privateKey,
            PublicKey = privateKey is { } sk ? KeyGenerator.DerivePublicKey(sk) : null,
            ListenPort = _listenPort,
            FwMark = _fwMark,
            Debug = _debug,
            RTable = _rTable,
            Peers = _peers.Select(p => p.Build()).ToList(),
            Counters = _counters,
        };
    }

    /// <summary>Zeroes and returns the key slots the parser held; the status <see cref="Finish"/> made has its own.</summary>
    public void ClearSecrets()
    {
        SecretKeyCell.Replace(ref _privateKey, null);
        foreach (var peer in _peers) peer.ClearSecrets();
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    /// <summary>`count_NAME=N` as (NAME, N).</summary>
    private static KeyValuePair<string, ulong> ParseCounter(string key, string value) =>
        new(key[UapiProtocol.CounterKeyPrefix.Length..], ParseNumber(key, value, ulong.MaxValue));

    private static Key ParseKey(string name, ReadOnlySpan<byte> value) =>
        Key.TryParseHex(value, out var key) ? key : throw Malformed($"{name} is not 64 hex digits");

    private static ulong ParseNumber(string name, string value, ulong max) =>
        UapiDecimal.TryParse(value, max, out ulong number)
            ? number : throw Malformed($"{name} is not a number in range");

    private static UapiProtocolException Malformed(string message) => new(Errno.EPROTO, "malformed UAPI reply: " + message);
}
