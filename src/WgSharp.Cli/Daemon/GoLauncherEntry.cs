namespace WgSharp.Cli.Daemon;

/// <summary>
/// `wgsharp-go [-f|--foreground] IFNAME`: the wireguard-go command line, on an installed name of
/// its own (a link to the wgsharp binary) so that only a caller who asks for a daemon gets one.
/// wg-quick runs `$WG_QUICK_USERSPACE_IMPLEMENTATION IFNAME`; set it to `wgsharp-go`.
/// </summary>
internal static class GoLauncherEntry
{
    public const string Name = "wgsharp-go";

    private const string Usage = "usage: " + Name + " [-f/--foreground] INTERFACE-NAME\n";

    /// <summary>
    /// True when started under the name wgsharp-go. The name is argv[0] as exec'd (/proc/self/cmdline):
    /// the runtime resolves links for its own paths, so they cannot tell a link from the binary. Under
    /// `dotnet WgSharp.Cli.dll` argv[0] is dotnet unless the caller set it (`exec -a wgsharp-go dotnet ...`).
    /// </summary>
    public static bool IsInvoked() => InvokedName() == Name;

    private static string InvokedName()
    {
        try
        {
            string commandLine = File.ReadAllText("/proc/self/cmdline");
            int end = commandLine.IndexOf('\0');
            return Path.GetFileName(end >= 0 ? commandLine[..end] : commandLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Path.GetFileName(Environment.GetCommandLineArgs()[0]);
        }
    }

    /// <summary>As wireguard-go's main: `--version`, or an interface name with an optional -f/--foreground first.</summary>
    public static int Run(string[] args)
    {
        if (args is ["--version"])
        {
            Console.Out.WriteLine(BuildVersion.TextFor(Name)); // the format of `wgsharp --version`
            return 0;
        }
        bool foreground = args.Length > 0 && args[0] is "-f" or "--foreground";
        string[] rest = foreground ? args[1..] : args;
        if (rest.Length != 1 || !CommandLine.IsInterfaceName(rest[0]))
        {
            Console.Error.Write(Usage);
            return 1;
        }
        return DaemonLauncher.Launch(rest[0], foreground);
    }
}
