namespace WgSharp.Cli.Ifconfig;

/// <summary>One word of the ifconfig dialect: its arguments and what it does, for the help text.</summary>
internal sealed record IfconfigOption(string Word, string Arguments, string Description);

/// <summary>
/// Every option word <see cref="IfconfigParser"/> knows, in the order the help text lists them. The
/// parser treats any other word as an address, so this table is the one list of options: the help
/// text and the man page are checked against it.
/// </summary>
internal static class IfconfigOptions
{
    public static IReadOnlyList<IfconfigOption> All { get; } =
    [
        new("create", "", "create the interface and start its daemon"),
        new("destroy", "", "remove the interface and stop its daemon"),
        new("up", "", "bring the interface up"),
        new("down", "", "take the interface down"),
        new("mtu", "N", "set the MTU (68-65535; at least 1280 while inet6 addresses exist)"),
        new("rdomain", "N", "move the interface to routing domain N (network namespace rdomainN)"),
        new("-rdomain", "", "move the interface back to routing domain 0"),
        new("debug", "", "log handshakes and peer events"),
        new("-debug", "", "stop debug logging"),
        new("inet", "ADDR[/LEN]", "set an IPv4 address: replaces the first one unless alias is given"),
        new("inet6", "ADDR[/LEN]", "add an IPv6 address (inet6 addresses are always added)"),
        new("alias", "", "add the address instead of replacing the first inet address"),
        new("-alias", "", "remove the address"),
        new("delete", "", "remove the address (same as -alias)"),
        new("-inet", "", "remove every IPv4 address"),
        new("-inet6", "", "remove every IPv6 address"),
        new("netmask", "MASK", "the address's netmask (dotted or 0x hex)"),
        new("prefixlen", "N", "the address's prefix length"),
        new("broadcast", "ADDR", "accepted for compatibility; Linux derives the broadcast address"),
        new("wgkey", "KEY", "set the private key (base64)"),
        new("wgport", "PORT", "set the UDP listen port (0: any)"),
        new("wgrtable", "N", "open the UDP socket in routing domain N"),
        new("wgpeer", "PUBKEY", "add or change the peer; the peer options below apply to it"),
        new("-wgpeer", "PUBKEY", "remove the peer"),
        new("-wgpeerall", "", "remove every peer"),
        new("wgpsk", "KEY", "set the peer's preshared key"),
        new("-wgpsk", "", "remove the peer's preshared key"),
        new("wgpka", "SECONDS", "send a keepalive every SECONDS (0-43200)"),
        new("-wgpka", "", "stop persistent keepalives"),
        new("wgendpoint", "HOST PORT", "set the peer's endpoint"),
        new("wgaip", "PREFIX", "set the peer's allowed IPs to those named in this command"),
        new("-wgaip", "PREFIX", "remove an allowed IP from the peer"),
        new("wgdescr", "TEXT", "set the peer's description (also wgdescription)"),
        new("wgdescription", "TEXT", "same as wgdescr"),
        new("-wgdescr", "", "remove the peer's description (also -wgdescription)"),
        new("-wgdescription", "", "same as -wgdescr"),
    ];

    private static readonly HashSet<string> Words = All.Select(o => o.Word).ToHashSet(StringComparer.Ordinal);

    public static bool IsOption(string word) => Words.Contains(word);
}
