using System.Globalization;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// Whether this process may manage network interfaces at all. Checked before acting, so an
/// unprivileged user hears the real reason instead of a misleading "no such interface".
/// </summary>
internal static class Privileges
{
    private const int CapNetAdmin = 12;

    public const string Needed = "permission denied: wgsharp needs root or CAP_NET_ADMIN";

    /// <summary>True if CAP_NET_ADMIN is in the effective set (root has it unless dropped).</summary>
    public static bool CanManageInterfaces()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
                ulong effective = ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                return (effective & (1UL << CapNetAdmin)) != 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException) { }
        return true; // cannot tell: let the operation itself report what goes wrong
    }
}
