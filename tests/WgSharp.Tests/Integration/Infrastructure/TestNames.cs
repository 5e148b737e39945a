using System.Diagnostics;

namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>
/// Unique names for test namespaces ("wgsn-PID-N") and interfaces ("wgsnPIDxN", at most 15 characters).
/// Embedding the process id lets a later run remove what a crashed run left behind without touching
/// the namespaces of a run that is still going.
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
        var name = $"{InterfacePrefix}{Pid36}x{ToBase36(Interlocked.Increment(ref s_counter))}";
        return name.Length <= 15 ? name : name[..15];
    }

    /// <summary>Deletes "wgsn-PID-N" namespaces whose PID no longer runs. Done once per process.</summary>
    public static void SweepStaleNamespaces()
    {
        if (Interlocked.Exchange(ref s_swept, 1) != 0)
            return;
        var directory = WgSharp.Device.Linux.NetNs.NamedNamespaceDirectory;
        if (!Directory.Exists(directory))
            return;
        foreach (var path in Directory.GetFiles(directory, NamespacePrefix + "*"))
        {
            var name = Path.GetFileName(path);
            var parts = name[NamespacePrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], out var pid) || pid == Environment.ProcessId || IsRunning(pid))
                continue;
            WgSharp.Device.Linux.CommandRunner.Run("ip", "netns", "delete", name);
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
