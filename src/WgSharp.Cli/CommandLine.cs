using WgSharp.Cli.Daemon;

namespace WgSharp.Cli;

/// <summary>Dispatches the command line to the launcher, the wg-style subcommands or the ifconfig dialect.</summary>
internal static class CommandLine
{
    public const string Usage =
        "usage: wgsharp [-f|--foreground] IFNAME          start the daemon for IFNAME (wireguard-go compatible)\n" +
        "       wgsharp IFNAME [create|destroy] [options]  configure IFNAME the OpenBSD ifconfig way\n" +
        "       wgsharp genkey | genpsk | pubkey            key tools, as wg(8)\n" +
        "       wgsharp --version | --help\n";

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        if (args[0] is "--version" or "-v")
        {
            Console.Out.WriteLine($"wgsharp {typeof(CommandLine).Assembly.GetName().Version}");
            return 0;
        }
        bool foreground = false;
        var rest = new List<string>();
        foreach (var a in args)
        {
            if (a is "-f" or "--foreground") foreground = true;
            else rest.Add(a);
        }
        if (rest.Count == 1 && IsInterfaceName(rest[0]))
            return DaemonLauncher.Launch(rest[0], foreground);
        Console.Error.Write(Usage);
        return 1;
    }

    public static bool IsInterfaceName(string s) =>
        s.Length is > 0 and <= 15 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && s != "." && s != "..";
}
