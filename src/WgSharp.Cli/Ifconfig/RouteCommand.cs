using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// `wgsharp route [-T N] exec COMMAND [ARGS...]`: route(8)'s exec, running COMMAND in routing
/// domain N, i.e. inside network namespace rdomainN (`ip netns exec`, which also gives it the
/// namespace's /sys). N = 0 is the namespace wgsharp runs in. The command inherits stdin,
/// stdout and stderr, and its exit status becomes ours.
/// </summary>
internal static class RouteCommand
{
    private const string Usage = "usage: wgsharp route [-T rtable] exec command [arg ...]";

    public static int Run(string[] args)
    {
        int rdomain = 0;
        int i = 0;
        for (; i < args.Length && args[i].StartsWith('-'); i++)
        {
            string option = args[i];
            if (option == "-T" || (option.StartsWith("-T", StringComparison.Ordinal) && option.Length > 2))
            {
                string value = option.Length > 2 ? option[2..] : (++i < args.Length ? args[i] : "");
                if (!RDomains.TryParse(value, out rdomain))
                    return Fail($"route: rtable {(value.Length == 0 ? "(missing)" : value)}: invalid routing table (0-{RDomains.Max})");
            }
            else if (option is "-n" or "-q" or "-v" or "-d" or "-t") { } // output flags; meaningless for exec
            else return Fail($"route: {option}: unknown option\n{Usage}");
        }
        if (i >= args.Length) return Fail($"route: missing command\n{Usage}");
        if (args[i] != "exec") return Fail($"route: {args[i]}: unsupported command (only exec)\n{Usage}");
        string[] command = args[(i + 1)..];
        if (command.Length == 0 || command[0].Length == 0) return Fail($"route: exec: missing command\n{Usage}");

        string? netns = rdomain == 0 ? null : RDomains.NamespaceOf(rdomain);
        if (netns is not null && !NetNs.Exists(netns))
            return Fail($"route: rtable {rdomain}: no such routing domain (namespace {netns} does not exist)");
        return Execute(netns, command);
    }

    /// <summary>Runs the command (in <paramref name="netns"/> when not null) and returns its exit status.</summary>
    public static int Execute(string? netns, IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo { UseShellExecute = false };
        if (netns is null)
            start.FileName = command[0];
        else
        {
            start.FileName = SystemPrograms.Path("ip");
            foreach (var word in new[] { "netns", "exec", netns, command[0] }) start.ArgumentList.Add(word);
        }
        foreach (var word in command.Skip(1)) start.ArgumentList.Add(word);

        // Like system(3): a Ctrl-C from the terminal reaches the command (same process group);
        // we only wait for it to finish and pass its status on.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => c.Cancel = true);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("cannot start");
        }
        catch (Win32Exception e)
        {
            return Fail($"route: {command[0]}: {new Win32Exception(e.NativeErrorCode).Message}");
        }
        using (process)
        {
            process.WaitForExit();
            return process.ExitCode;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"wgsharp: {message}");
        return 1;
    }
}
