using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Renders one interface the way OpenBSD ifconfig(8) shows a wg(4) interface. Pure: the current
/// time is passed in for "last handshake: N seconds ago". The private key is never read.
/// Lines under the interface start with a TAB, peer details with two, so
/// `wgsharp wg1 | grep wgpubkey | cut -d ' ' -f 2` yields the public key as on OpenBSD.
/// </summary>
internal static class StatusFormatter
{
    private static readonly (InterfaceFlags Flag, string Name)[] FlagNames =
    [
        (InterfaceFlags.Up, "UP"), (InterfaceFlags.Broadcast, "BROADCAST"), (InterfaceFlags.Debug, "DEBUG"),
        (InterfaceFlags.Loopback, "LOOPBACK"), (InterfaceFlags.PointToPoint, "POINTOPOINT"),
        (InterfaceFlags.StaticArp, "STATICARP"), (InterfaceFlags.Running, "RUNNING"), (InterfaceFlags.NoArp, "NOARP"),
        (InterfaceFlags.Promisc, "PROMISC"), (InterfaceFlags.AllMulti, "ALLMULTI"), (InterfaceFlags.OActive, "OACTIVE"),
        (InterfaceFlags.Simplex, "SIMPLEX"), (InterfaceFlags.Link0, "LINK0"), (InterfaceFlags.Link1, "LINK1"),
        (InterfaceFlags.Link2, "LINK2"), (InterfaceFlags.Multicast, "MULTICAST"),
    ];

    /// <summary>
    /// The status block for one interface, each line ending in '\n'.
    /// <paramref name="wireGuard"/> null leaves out the wg lines (e.g. the daemon is not answering);
    /// <paramref name="showPeers"/> false omits peer details, as OpenBSD does for `ifconfig -a`;
    /// <paramref name="onlyFamily"/> limits the address lines (`ifconfig wg1 inet`);
    /// <paramref name="verbose"/> (`wgsharp IF verbose`) adds the counters: "\tcounter NAME: N" for the
    /// interface, "\t\tcounter NAME: N" and "\t\tkeypair age: N seconds" per peer. Without it the layout is OpenBSD's, unchanged.
    /// </summary>
    public static string Format(InterfaceInfo iface, DeviceStatus? wireGuard, DateTimeOffset now,
        bool showPeers = true, AddressFamily? onlyFamily = null, bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(iface);
        var text = new StringBuilder();
        AppendHeader(text, iface);
        if (!string.IsNullOrEmpty(iface.Description))
            text.Append("\tdescription: ").Append(OneLine(iface.Description)).Append('\n');
        text.Append("\tindex ").Append(Num(iface.Index))
            .Append(" priority ").Append(Num(iface.Priority))
            .Append(" llprio ").Append(Num(iface.LlPrio)).Append('\n');
        if (wireGuard is not null) AppendWireGuard(text, wireGuard, now, showPeers, verbose);
        if (iface.Groups.Count > 0)
        {
            text.Append("\tgroups:");
            foreach (var group in iface.Groups) text.Append(' ').Append(group);
            text.Append('\n');
        }
        foreach (var address in iface.Addresses)
        {
            if (onlyFamily is { } family && address.Address.AddressFamily != family) continue;
            AppendAddress(text, iface, address);
        }
        return text.ToString();
    }

    /// <summary>`flags=HEX&lt;NAMES&gt;` exactly as OpenBSD's printb renders it (lower-case hex, names in bit order).</summary>
    public static string FormatFlags(InterfaceFlags flags)
    {
        var text = new StringBuilder("flags=");
        text.Append(((int)flags).ToString("x", CultureInfo.InvariantCulture)).Append('<');
        bool first = true;
        foreach (var (flag, name) in FlagNames)
        {
            if ((flags & flag) == 0) continue;
            if (!first) text.Append(',');
            text.Append(name);
            first = false;
        }
        return text.Append('>').ToString();
    }

    private static void AppendHeader(StringBuilder text, InterfaceInfo iface)
    {
        text.Append(iface.Name).Append(": ").Append(FormatFlags(iface.Flags));
        if (iface.RDomain != 0) text.Append(" rdomain ").Append(Num(iface.RDomain));
        if (iface.Mtu != 0) text.Append(" mtu ").Append(Num(iface.Mtu));
        text.Append('\n');
    }

    private static void AppendWireGuard(StringBuilder text, DeviceStatus status, DateTimeOffset now, bool showPeers, bool verbose)
    {
        // The kernel reports port and rtable only when set (non-zero).
        if (status.ListenPort != 0) text.Append("\twgport ").Append(Num(status.ListenPort)).Append('\n');
        if (status.RTable != 0) text.Append("\twgrtable ").Append(Num(status.RTable)).Append('\n');
        if (status.PublicKey is { IsZero: false } publicKey)
            text.Append("\twgpubkey ").Append(publicKey.ToBase64()).Append('\n');
        if (verbose) AppendCounters(text, "\t", status.Counters);
        if (!showPeers) return;
        foreach (var peer in status.Peers) AppendPeer(text, peer, now, verbose);
    }

    private static void AppendCounters(StringBuilder text, string indent, IReadOnlyList<KeyValuePair<string, ulong>> counters)
    {
        foreach (var (name, value) in counters)
            text.Append(indent).Append("counter ").Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void AppendPeer(StringBuilder text, PeerStatus peer, DateTimeOffset now, bool verbose)
    {
        text.Append("\twgpeer ").Append(peer.PublicKey.ToBase64()).Append('\n');
        if (!string.IsNullOrEmpty(peer.Description))
            text.Append("\t\twgdescr: ").Append(OneLine(peer.Description)).Append('\n');
        if (peer.PresharedKey is { IsZero: false })
            text.Append("\t\twgpsk (present)\n");
        if (peer.PersistentKeepalive != 0)
            text.Append("\t\twgpka ").Append(Num(peer.PersistentKeepalive)).Append(" (sec)\n");
        if (peer.Endpoint is { } endpoint)
            text.Append("\t\twgendpoint ").Append(endpoint.Address.ToString()).Append(' ')
                .Append(Num(endpoint.Port)).Append('\n');
        text.Append("\t\ttx: ").Append(peer.TxBytes.ToString(CultureInfo.InvariantCulture))
            .Append(", rx: ").Append(peer.RxBytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (peer.LastHandshake is { } handshake && handshake.ToUnixTimeSeconds() != 0)
        {
            // Whole seconds as OpenBSD subtracts tv_sec values; a clock stepped back shows 0, not a negative age.
            long ago = Math.Max(0, now.ToUnixTimeSeconds() - handshake.ToUnixTimeSeconds());
            text.Append("\t\tlast handshake: ").Append(ago.ToString(CultureInfo.InvariantCulture)).Append(" seconds ago\n");
        }
        if (verbose)
        {
            if (peer.KeypairAge is { } age)
                text.Append("\t\tkeypair age: ").Append(((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append(" seconds\n");
            AppendCounters(text, "\t\t", peer.Counters);
        }
        foreach (var allowed in peer.AllowedIps)
            text.Append("\t\twgaip ").Append(allowed.ToString()).Append('\n');
    }

    private static void AppendAddress(StringBuilder text, InterfaceInfo iface, IpPrefix address)
    {
        if (address.IsIPv4)
        {
            uint mask = address.Bits == 0 ? 0u : uint.MaxValue << (32 - address.Bits);
            text.Append("\tinet ").Append(address.Address.ToString())
                .Append(" netmask 0x").Append(mask.ToString("x", CultureInfo.InvariantCulture));
            // in_ifinit: broadcast is net | ~mask, except on /31 (RFC 3021) subnets.
            if ((iface.Flags & InterfaceFlags.Broadcast) != 0 && address.Bits != 31)
            {
                Span<byte> bytes = stackalloc byte[4];
                address.Address.TryWriteBytes(bytes, out _);
                uint host = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
                uint broadcast = (host & mask) | ~mask;
                if (broadcast != 0)
                    text.Append(" broadcast ").Append(new IPAddress([
                        (byte)(broadcast >> 24), (byte)(broadcast >> 16), (byte)(broadcast >> 8), (byte)broadcast]).ToString());
            }
            text.Append('\n');
            return;
        }
        var plain = new IPAddress(address.Address.GetAddressBytes());
        text.Append("\tinet6 ").Append(plain.ToString());
        if (plain.IsIPv6LinkLocal) text.Append('%').Append(iface.Name);
        text.Append(" prefixlen ").Append(Num(address.Bits));
        if (plain.IsIPv6LinkLocal)
            text.Append(" scopeid 0x").Append(iface.Index.ToString("x", CultureInfo.InvariantCulture));
        text.Append('\n');
    }

    /// <summary>Descriptions are user text: keep them to one line so they cannot forge status lines.</summary>
    private static string OneLine(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) ? ' ' : source[i];
        });

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
