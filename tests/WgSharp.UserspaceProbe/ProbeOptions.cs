using System.Globalization;
using System.Net;
using WgSharp.Keys;

namespace WgSharp.UserspaceProbe;

/// <summary>The interface parameters and the command, parsed from the command line.</summary>
internal sealed class ProbeOptions
{
    public const string Usage =
        "usage: WgSharp.UserspaceProbe --private-key B64 --peer-public-key B64 --peer-endpoint IP:PORT --address CIDR\n" +
        "         [--dns IP] [--allowed-ips CIDR,...] [--no-fast-paths] [--timeout SECONDS] [--wake IP] [--keepalive SECONDS]\n" +
        "         [--buffer BYTES] [--inline-completions] COMMAND ARGS...\n" +
        "commands: whoami | fetch URL | download HOST:PORT BYTES | upload HOST:PORT BYTES | serve PORT echo|sha256 [COUNT [ADDRESS]]\n" +
        "          | connect-many HOST:PORT N | udp-echo HOST:PORT COUNT SIZE | ping ADDR | resolve NAME\n" +
        "          | exit-undisposed SOCKET_DIRECTORY (returns from Main without disposing the interface)\n" +
        "          | relay LISTEN TARGET DROP REORDER DUPLICATE (a lossy UDP relay; no interface)";

    public Key PrivateKey { get; private set; }
    public Key PeerPublicKey { get; private set; }
    public IPEndPoint? PeerEndpoint { get; private set; }
    public List<IPNetwork> Addresses { get; } = [];
    public List<IPAddress> DnsServers { get; } = [];
    public List<IPNetwork> AllowedIps { get; } = [];
    public bool FastPaths { get; private set; } = true;
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(60);
    public IPAddress? Wake { get; private set; }
    public int KeepaliveSeconds { get; private set; }
    public int? TcpBufferSize { get; private set; }
    public bool InlineCompletions { get; private set; }
    public string Command { get; private set; } = "";
    public string[] Arguments { get; private set; } = [];

    public static ProbeOptions Parse(string[] args)
    {
        var options = new ProbeOptions();
        int i = 0;
        for (; i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal); i++)
        {
            string name = args[i];
            if (name == "--no-fast-paths")
            {
                options.FastPaths = false;
                continue;
            }
            if (name == "--inline-completions")
            {
                options.InlineCompletions = true;
                continue;
            }
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{name} needs a value");
            string value = args[++i];
            switch (name)
            {
                case "--private-key": options.PrivateKey = ParseKey(value); break;
                case "--peer-public-key": options.PeerPublicKey = ParseKey(value); break;
                case "--peer-endpoint": options.PeerEndpoint = IPEndPoint.Parse(value); break;
                case "--address": options.Addresses.Add(IPNetwork.Parse(value)); break;
                case "--dns": options.DnsServers.Add(IPAddress.Parse(value)); break;
                case "--allowed-ips":
                    foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        options.AllowedIps.Add(IPNetwork.Parse(part));
                    break;
                case "--timeout": options.Timeout = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--wake": options.Wake = IPAddress.Parse(value); break;
                case "--keepalive": options.KeepaliveSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--buffer": options.TcpBufferSize = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (i >= args.Length)
            throw new ArgumentException("no command");
        options.Command = args[i];
        options.Arguments = args[(i + 1)..];
        if (options.Command is not ("whoami" or "relay") && (options.PeerEndpoint is null || options.Addresses.Count == 0))
            throw new ArgumentException("--peer-endpoint and --address are required");
        if (options.AllowedIps.Count == 0)
            options.AllowedIps.AddRange([IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0")]);
        return options;
    }

    public string Argument(int index) =>
        index < Arguments.Length ? Arguments[index] : throw new ArgumentException($"{Command}: missing argument {index + 1}");

    public long LongArgument(int index) => long.Parse(Argument(index), CultureInfo.InvariantCulture);

    private static Key ParseKey(string base64) =>
        Key.TryParseBase64(base64, out var key, out var error) ? key : throw new ArgumentException(error);
}
