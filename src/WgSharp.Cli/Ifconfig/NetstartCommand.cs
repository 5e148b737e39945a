
namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// `wgsharp netstart [IFNAME...]`: netstart(8) for wg interfaces. For each /etc/hostname.IFNAME
/// (all hostname.wg* without arguments) the interface is created if it does not exist, then each
/// line is applied in order as `wgsharp IFNAME LINE`; "!cmd" lines run through /bin/sh with $if
/// replaced. A line that does not parse is reported with file and line number and nothing of that file is applied
/// (the interface is not created); a line the kernel refuses is reported and the others still apply.
/// A file root does not own, or that group or others can write, or a symlink, is refused with one line; a
/// world-readable one is applied, its mode fixed with a warning (it holds a key), as OpenBSD's netstart does.
/// The directory can be changed with WGSHARP_HOSTNAME_DIR (test builds only: see EnvironmentKnobs.TestKnobsMarker).
/// </summary>
internal static class NetstartCommand
{
    public const string DirectoryVariable = "WGSHARP_HOSTNAME_DIR";
    private const string DefaultDirectory = "/etc";

    public static int Run(string[] args)
    {
        string directory = Daemon.EnvironmentKnobs.TestKnob(DirectoryVariable) ?? DefaultDirectory;
        IReadOnlyList<string> interfaces;
        try
        {
            interfaces = args.Length > 0
                ? args
                : HostnameIfReader.ListInterfaces(directory).Where(n => n.StartsWith("wg", StringComparison.Ordinal)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"netstart: {directory}: cannot list hostname.* files");
            return 1;
        }
        bool allGood = true;
        foreach (var name in interfaces)
            allGood &= Start(directory, name);
        return allGood ? 0 : 1;
    }

    private static bool Start(string directory, string name)
    {
        if (!HostnameIfReader.IsConfigurableName(name))
            return Fail($"netstart: {name}: not a configurable interface name");
        HostnameIfFile file;
        // The file is refused unless root owns it and nobody else can write it: its lines run as root (issue 21).
        try { file = HostnameIfReader.Read(directory, name, HostLookup.FirstAddress, warning => Console.Error.WriteLine($"wgsharp: netstart: {warning}")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail($"netstart: {e.Message}"); }

        // All or nothing, as the manual promises of a bad word: a file with a line that does not parse applies no line.
        var bad = file.Lines.Where(line => line.Error is not null).ToList();
        if (bad.Count > 0)
        {
            foreach (var line in bad) Fail(line.Error!.Message);
            return Fail($"netstart: {name}: nothing applied: {file.Path} has {(bad.Count == 1 ? "a bad line" : $"{bad.Count} bad lines")}");
        }
        bool allGood = true;
        if (!InterfaceLifecycle.IsServing(name) && InterfaceLifecycle.Create(name) != 0)
            return Fail($"netstart: {name}: cannot create the interface");
        foreach (var line in file.Lines)
        {
            if (line.Error is { } error)
                allGood = Fail(error.Message);
            else if (line.ShellCommand is { } shell)
                allGood &= RunShell(file.Path, line.LineNumber, shell);
            else if (line.Command is { } command && IfconfigRunner.Execute(command) != 0)
                allGood = Fail($"{file.Path}:{line.LineNumber}: not applied"); // the line may hold a key: not echoed
        }
        return allGood;
    }

    private static bool RunShell(string path, int lineNumber, string command)
    {
        int status = RouteCommand.Execute(null, ["/bin/sh", "-c", command]);
        return status == 0 || Fail($"{path}:{lineNumber}: !{command}: exit status {status}");
    }

    /// <summary>Prints the one-line message; always false, so callers can fold it into their result.</summary>
    private static bool Fail(string message)
    {
        Console.Error.WriteLine($"wgsharp: {message}");
        return false;
    }
}
