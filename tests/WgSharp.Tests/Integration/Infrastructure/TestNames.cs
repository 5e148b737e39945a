using System.Diagnostics;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Unique names for test namespaces ("wgsn-PID-N") and interfaces ("wgsnPID-N" with PID and N in base 36,
/// at most 15 characters). Embedding the process id lets a later run remove what a crashed run left
/// behind without touching the namespaces and processes of a run that is still going.
/// </summary>
public static class TestNames
{
    public const string NamespacePrefix = "wgsn-";
    public const string InterfacePrefix = "wgsn";

    private static int s_counter;
    private static int s_swept;

    private static string Pid36 => ToBase36(Environment.ProcessId);

    public static string NewNamespace() => $"{NamespacePrefix}{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";

    /// <summary>An interface name unique on this machine (wireguard-go's socket directory is shared by all namespaces).</summary>
    public static string NewInterface()
    {
        var name = $"{InterfacePrefix}{Pid36}-{ToBase36(Interlocked.Increment(ref s_counter))}";
        return name.Length <= 15 ? name : name[..15];
    }

    /// <summary>
    /// An interface name unique on this machine in OpenBSD's form, letters then digits ("wgsnd" + the process id
    /// in 7 digits + a counter), for what only takes such names (hostname.if files). The sweep does not know
    /// these: the tests that make them remove them.
    /// </summary>
    public static string NewNumberedInterface()
    {
        var name = $"wgsnd{Environment.ProcessId:D7}{Interlocked.Increment(ref s_counter)}";
        return name.Length <= 15 ? name : throw new InvalidOperationException("out of numbered interface names");
    }

    /// <summary>
    /// Removes what test runs that died left behind: their wireguard-go processes and sockets, then their
    /// "wgsn-PID-N" namespaces. Only for creator PIDs that no longer run. Done once per process unless forced.
    /// </summary>
    public static void SweepStale(bool force = false)
    {
        if (Interlocked.Exchange(ref s_swept, 1) != 0 && !force)
            return;
        KillStaleWireGuardGo();
        SweepStaleNamespaces();
    }

    private static void KillStaleWireGuardGo()
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var processId))
                continue;
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // exited meanwhile
            }
            if (argv.Length < 2 || !argv[0].EndsWith("wireguard-go", StringComparison.Ordinal) ||
                OwnerOfInterface(argv[^1]) is not { } owner || owner == Environment.ProcessId || IsRunning(owner))
                continue;
            WgSharp.Linux.CommandRunner.Run("kill", "-KILL", processId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var socket = Path.Combine(WireGuardGoPeer.SocketDirectory, argv[^1] + ".sock");
            if (File.Exists(socket))
                File.Delete(socket);
        }
    }

    /// <summary>The PID embedded in a test interface name, or null for other names.</summary>
    private static int? OwnerOfInterface(string interfaceName)
    {
        if (!interfaceName.StartsWith(InterfacePrefix, StringComparison.Ordinal))
            return null;
        var dash = interfaceName.IndexOf('-', InterfacePrefix.Length);
        return dash > InterfacePrefix.Length ? FromBase36(interfaceName[InterfacePrefix.Length..dash]) : null;
    }

    private static void SweepStaleNamespaces()
    {
        var directory = WgSharp.Linux.NetNs.NamedNamespaceDirectory;
        if (!Directory.Exists(directory))
            return;
        foreach (var path in Directory.GetFiles(directory, NamespacePrefix + "*"))
        {
            var name = Path.GetFileName(path);
            var parts = name[NamespacePrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], out var pid) || pid == Environment.ProcessId || IsRunning(pid))
                continue;
            WgSharp.Linux.CommandRunner.Run("ip", "netns", "delete", name);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Names as a test run with process id <paramref name="processId"/> would have made them (for testing the sweep).</summary>
    internal static (string Namespace, string Interface) NamesOf(int processId, int counter) =>
        ($"{NamespacePrefix}{processId}-{counter}", $"{InterfacePrefix}{ToBase36(processId)}-{ToBase36(counter)}");

    private static int? FromBase36(string text)
    {
        long value = 0;
        foreach (var c in text)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterLower(c) ? c - 'a' + 10 : -1;
            if (digit < 0 || (value = value * 36 + digit) > int.MaxValue)
                return null;
        }
        return (int)value;
    }

    private static string ToBase36(int value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        if (value == 0)
            return "0";
        var result = "";
        for (; value > 0; value /= 36)
            result = digits[value % 36] + result;
        return result;
    }
}
