using WgSharp.Configuration;

namespace WgSharp.Cli.Wg;

/// <summary>
/// The arguments of `wg set IFNAME ...`: [listen-port P] [fwmark F] [private-key FILE] then any
/// number of `peer PUBKEY [remove] [preshared-key FILE] [endpoint H:P] [persistent-keepalive N]
/// [allowed-ips A/B,...]`. Device options are only accepted before the first peer.
/// </summary>
internal static class WgSetArguments
{
    public static DeviceUpdate Parse(IReadOnlyList<string> args, TextWriter? progress = null)
    {
        var device = new DeviceUpdate();
        var peers = new List<PeerDraft>();
        PeerDraft? peer = null;
        for (int i = 0; i < args.Count;)
        {
            string word = args[i];
            bool hasValue = i + 1 < args.Count;
            string value = hasValue ? args[i + 1] : "";
            switch (word)
            {
                case "listen-port" when hasValue && peer is null: device.ListenPort = WgValueParser.ParsePort(value); i += 2; break;
                case "fwmark" when hasValue && peer is null: device.FwMark = WgValueParser.ParseFwMark(value); i += 2; break;
                case "private-key" when hasValue && peer is null: device.PrivateKey = WgValueParser.ParseKeyFile(value); i += 2; break;
                case "peer" when hasValue:
                    peer = new PeerDraft { PublicKey = WgValueParser.ParseKey(value, secret: false) };
                    peers.Add(peer);
                    i += 2;
                    break;
                case "remove" when peer is not null: peer.Remove = true; i += 1; break;
                case "endpoint" when hasValue && peer is not null: peer.Endpoint = WgValueParser.ParseEndpoint(value, out var name, progress); peer.EndpointName = name; i += 2; break;
                case "allowed-ips" when hasValue && peer is not null:
                    peer.ReplaceAllowedIps = true;
                    peer.AllowedIps.AddRange(WgValueParser.ParseAllowedIps(new string(value.Where(c => !WgValueParser.IsSpace(c)).ToArray())));
                    i += 2;
                    break;
                case "persistent-keepalive" when hasValue && peer is not null:
                    peer.PersistentKeepalive = WgValueParser.ParsePersistentKeepalive(value);
                    i += 2;
                    break;
                case "preshared-key" when hasValue && peer is not null: peer.PresharedKey = WgValueParser.ParseKeyFile(value); i += 2; break;
                default: throw new WgParseException($"Invalid argument: {word}");
            }
        }
        foreach (var p in peers) device.Peers.Add(p.ToUpdate());
        return device;
    }
}
