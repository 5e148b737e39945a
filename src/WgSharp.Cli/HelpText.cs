using System.Text;
using WgSharp.Cli.Ifconfig;

namespace WgSharp.Cli;

/// <summary>`wgsharp --help`: every command form, every ifconfig option (from the parser's own table) and the launcher contract.</summary>
internal static class HelpText
{
    public static string Full { get; } = Build();

    private static string Build()
    {
        var sb = new StringBuilder();
        sb.Append(
            "usage: wgsharp IFNAME create [OPTION ...]        create IFNAME (starts its daemon) and configure it\n" +
            "       wgsharp IFNAME [OPTION ...]               configure IFNAME the OpenBSD ifconfig(8) way\n" +
            "       wgsharp IFNAME [inet | inet6] [verbose]   show IFNAME's status (an error if IFNAME does not exist); verbose adds counters\n" +
            "       wgsharp IFNAME destroy                    remove IFNAME and stop its daemon\n" +
            "       wgsharp wg | -a                           show every wg interface | every interface\n" +
            "       wgsharp genkey | genpsk | pubkey          key tools, as wg(8)\n" +
            "       wgsharp show [IFNAME | all | interfaces] [dump | json | peers | ...]\n" +
            "       wgsharp showconf IFNAME\n" +
            "       wgsharp set IFNAME [listen-port P] [private-key FILE] [peer KEY ...]\n" +
            "       wgsharp setconf | addconf | syncconf IFNAME FILE\n" +
            "       wgsharp route -T N exec COMMAND ...       run COMMAND in routing domain N (namespace rdomainN)\n" +
            "       wgsharp netstart [IFNAME ...]             apply /etc/hostname.IFNAME files\n" +
            "       wgsharp demo                              run the wg(4) manual's example in namespaces\n" +
            "       wgsharp -f | --foreground IFNAME          run the daemon for IFNAME in the foreground\n" +
            "       wgsharp -f IFNAME --metrics [ADDR:]PORT   ... serving Prometheus metrics (WGSHARP_METRICS; loopback by default)\n" +
            "       wgsharp-go IFNAME                         the wireguard-go compatible launcher (see below)\n" +
            "       wgsharp proxy CONF [--socks5 [ADDR:]PORT] [--http [ADDR:]PORT] [--metrics [ADDR:]PORT]\n" +
            "                     [--control DIR/NAME.sock] [--pcap FILE]\n" +
            "                                                 no root, no TUN: a SOCKS5/HTTP proxy into the tunnel of a wg-quick CONF\n" +
            "       wgsharp forward CONF SPEC... [the same options]\n" +
            "                                                 no root: ports through the tunnel; SPEC is tcp|udp:[LADDR:]LPORT:RHOST:RPORT\n" +
            "                                                 or remote-tcp|remote-udp:[TADDR:]TPORT:LHOST:LPORT (bare ports: loopback)\n" +
            "       wgsharp show DIR/NAME.sock [...]          show the interface behind a --control socket\n" +
            "       wgsharp --help | --version\n" +
            "\n" +
            "ifconfig options (applied left to right; peer options apply to the wgpeer before them;\n" +
            "a word that is not an option is an address, e.g. 10.0.0.1/24 or fd00::1):\n");
        foreach (var option in IfconfigOptions.All)
        {
            string usage = option.Arguments.Length == 0 ? option.Word : $"{option.Word} {option.Arguments}";
            sb.Append("  ").Append(usage.PadRight(24)).Append(' ').Append(option.Description).Append('\n');
        }
        sb.Append(
            "\n" +
            "Launcher contract: `wgsharp-go IFNAME` (an installed link to wgsharp) behaves like\n" +
            "`wireguard-go IFNAME`: it creates IFNAME, serves /var/run/wireguard/IFNAME.sock for wg(8),\n" +
            "and returns once it is ready, leaving the daemon in the background (in the foreground with\n" +
            "-f or WG_PROCESS_FOREGROUND=1; LOG_LEVEL=debug adds the debug log, silent turns it off).\n" +
            "For wg-quick(8): WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go wg-quick up IFNAME\n" +
            "\n" +
            "proxy/forward: CONF is a wg-quick file (root-only keys are ignored with a warning) with optional\n" +
            "[Socks5] Listen=, [Http] Listen=, [Proxy] Username=/Password=/PasswordFile=, [Forward] tcp= udp=\n" +
            "remote-tcp= remote-udp= sections; names resolve through its DNS=. SIGHUP re-reads CONF (keys and\n" +
            "peers, all or nothing); SIGTERM stops. See docs/proxy.md.\n" +
            "See wgsharp(8).\n");
        return sb.ToString();
    }
}
