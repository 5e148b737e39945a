using WgSharp.Cli.Daemon;
using WgSharp.Cli.Ifconfig;
using WgSharp.Cli.Proxy.Front;
using WgSharp.Cli.Wg;
using WgSharp.Configuration;
using WgSharp.Control.Uapi;

namespace WgSharp.Cli;

/// <summary>Dispatches the command line to the launcher, the wg-style subcommands or the ifconfig dialect.</summary>
internal static class CommandLine
{
    public const string Usage =
        "usage: wgsharp -f|--foreground IFNAME               run the daemon for IFNAME in the foreground\n" +
        "       wgsharp -f IFNAME --metrics [ADDR:]PORT       ... serving Prometheus metrics (loopback for a bare PORT)\n" +
        "       wgsharp-go [-f|--foreground] IFNAME           the wireguard-go compatible launcher (WG_QUICK_USERSPACE_IMPLEMENTATION=wgsharp-go)\n" +
        "       wgsharp IFNAME [create|destroy] [options...]  configure or show IFNAME the OpenBSD ifconfig way\n" +
        "       wgsharp wg | -a                               show every interface\n" +
        "       wgsharp genkey | genpsk | pubkey               key tools, as wg(8)\n" +
        "       wgsharp show [IFNAME] | showconf IFNAME | set IFNAME ... | setconf IFNAME FILE\n" +
        "       wgsharp route -T N exec COMMAND...             run COMMAND in routing domain N (namespace rdomainN)\n" +
        "       wgsharp netstart [IFNAME...]                   apply /etc/hostname.IFNAME files\n" +
        "       wgsharp demo                                   run the wg(4) manual's example\n" +
        "       wgsharp proxy CONF [--socks5 [ADDR:]PORT] [--http [ADDR:]PORT] ...  a SOCKS5/HTTP proxy into the tunnel, no root\n" +
        "       wgsharp forward CONF SPEC...                   port forwards through the tunnel, no root\n";

    private static readonly HashSet<string> WgSubcommands = ["genkey", "genpsk", "pubkey", "show", "showconf", "set", "setconf", "addconf", "syncconf"];

    public static int Run(string[] args)
    {
        if (GoLauncherEntry.IsInvoked()) return GoLauncherEntry.Run(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).Write(args.Length == 0 ? Usage : HelpText.Full);
            return args.Length == 0 ? 1 : 0;
        }
        if (args[0] is "--version" or "-v")
        {
            Console.Out.WriteLine(BuildVersion.Text);
            return 0;
        }
        if (args is ["show" or "showconf", { } path, ..] && path.EndsWith(ControlSocketPath.Suffix, StringComparison.Ordinal)) return ShowSocket(args);
        if (WgSubcommands.Contains(args[0])) return WgCommands.Run(args);
        switch (args[0])
        {
            case "route": return RouteCommand.Run(args[1..]);
            case "netstart": return NetstartCommand.Run(args[1..]);
            case "demo": return DemoCommand.Run(args[1..]);
            case "proxy": return ProxyCommand.Run(args[1..], forward: false);
            case "forward": return ProxyCommand.Run(args[1..], forward: true);
            case "-a" when args.Length == 1: return IfconfigRunner.ShowAll();
        }

        if (args[0] is "-f" or "--foreground")
        {
            // `--metrics ADDR:PORT` travels as WGSHARP_METRICS, the one way every start (detached too) reads it.
            if (args.Length == 4 && args[2] == MetricsEndpoint.Option) Environment.SetEnvironmentVariable(MetricsEndpoint.EnvironmentVariable, args[3]);
            else if (args.Length != 2) { Console.Error.Write(Usage); return 1; }
            if (!IsInterfaceName(args[1])) { Console.Error.Write(Usage); return 1; }
            return DaemonLauncher.Launch(args[1], foreground: true);
        }
        if (!IsInterfaceName(args[0]))
        {
            Console.Error.WriteLine($"wgsharp: {args[0]}: bad interface name or unknown command");
            return 1;
        }
        // `wgsharp IFNAME` alone only ever shows IFNAME (an error if it does not exist, as ifconfig):
        // starting a daemon is for the launcher entry wgsharp-go and the explicit -f forms.
        if (args.Length == 2 && args[1] is "-f" or "--foreground")
            return DaemonLauncher.Launch(args[0], foreground: true);
        return IfconfigRunner.Run(args[0], args[1..]);
    }

    /// <summary>
    /// `wgsharp show DIR/NAME.sock ...`: the interface behind a control socket anywhere (`wgsharp proxy --control PATH`),
    /// shown as `wgsharp show NAME ...` would show it from /var/run/wireguard.
    /// </summary>
    private static int ShowSocket(string[] args)
    {
        var standard = WgConsole.Standard();
        var console = new WgConsole
        {
            Input = standard.Input,
            Out = standard.Out,
            OutBytes = standard.OutBytes, // keys go to stdout's bytes, never via text
            Error = standard.Error,
            Colors = standard.Colors,
            Devices = new WgDevices(ControlSocketPath.DirectoryOf(args[1])),
        };
        try { return WgCommands.Run([args[0], ControlSocketPath.NameOf(args[1]), .. args[2..]], console); }
        finally { console.Out.Flush(); }
    }

    /// <summary>An interface name (the one rule), and not an option: names starting with '-' are left to options.</summary>
    public static bool IsInterfaceName(string s) => InterfaceName.IsValid(s) && s[0] != '-';
}
