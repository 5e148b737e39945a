using System.Globalization;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// OpenBSD routing domains map onto named network namespaces: rdomain N is the namespace
/// "rdomainN" (the same naming the device uses for wgrtable), rdomain 0 is the namespace
/// wgsharp itself runs in. A namespace wgsharp creates is recorded (with its identity, so a later
/// namespace of the same name made by someone else is not mistaken for it) and removed again by
/// destroy once nothing is left in it; namespaces wgsharp did not create are never removed.
/// </summary>
internal static class RDomains
{
    public const string NamespacePrefix = LinuxDatagramTransportFactory.RoutingDomainPrefix;
    public const int Max = IfconfigParser.MaxRoutingTable;

    public static string NamespaceOf(int rdomain) => LinuxDatagramTransportFactory.NamespaceOf(rdomain);

    /// <summary>The rdomain number of a namespace named "rdomainN" (canonical decimal, 1..255), else null.</summary>
    public static int? NumberOf(string namespaceName)
    {
        if (!namespaceName.StartsWith(NamespacePrefix, StringComparison.Ordinal)) return null;
        string digits = namespaceName[NamespacePrefix.Length..];
        return TryParse(digits, out int n) && n != 0 ? n : null;
    }

    /// <summary>A routing domain number as route(8)/ifconfig(8) accept it: plain decimal, 0..255, no leading zeros.</summary>
    public static bool TryParse(string text, out int rdomain)
    {
        rdomain = 0;
        if (text.Length is 0 or > 3 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0')) return false;
        rdomain = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return rdomain <= Max;
    }

    /// <summary>The existing rdomainN namespaces, in numeric order.</summary>
    public static IEnumerable<string> ExistingNamespaces()
    {
        if (!Directory.Exists(NetNs.NamedNamespaceDirectory)) return [];
        return Directory.EnumerateFiles(NetNs.NamedNamespaceDirectory, NamespacePrefix + "*")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => NumberOf(name) is not null)
            .OrderBy(name => NumberOf(name));
    }

    /// <summary>Where created namespaces are recorded: under /run, so the records vanish at boot with the namespaces.</summary>
    private const string CreatedRecordDirectory = "/run/wgsharp/created-netns";

    /// <summary>Creates namespace rdomainN (loopback up) unless it exists, and records that wgsharp created it.</summary>
    public static void Create(int rdomain)
    {
        string name = NamespaceOf(rdomain);
        if (NetNs.Exists(name)) return;
        IpCommand.CreateNamespace(name);
        try
        {
            Directory.CreateDirectory(CreatedRecordDirectory);
            File.WriteAllText(Path.Combine(CreatedRecordDirectory, name), IdentityOf(name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // unrecorded: it is kept, the safe side
    }

    /// <summary>Deletes the namespaces wgsharp created that hold nothing any more (no link but lo, no process, no socket).</summary>
    public static void RemoveUnusedCreated()
    {
        if (!Directory.Exists(CreatedRecordDirectory)) return;
        foreach (string record in Directory.EnumerateFiles(CreatedRecordDirectory))
        {
            string name = Path.GetFileName(record);
            try
            {
                if (NumberOf(name) is null) continue;
                bool ours = NetNs.Exists(name) && File.ReadAllText(record) == IdentityOf(name);
                if (ours && !IsEmpty(name)) continue;
                if (ours) IpCommand.DeleteNamespace(name);
                File.Delete(record);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { }
        }
    }

    /// <summary>The namespace's device and inode: the same name made again is another namespace.</summary>
    private static string IdentityOf(string name) => NetNs.IdentityOf(name) ?? "";

    private static bool IsEmpty(string name)
    {
        if (NetNs.Links(name).Any(link => link.Name != "lo")) return false;
        if (CommandRunner.Run(SystemPrograms.Path("ip"), "netns", "pids", name).StandardOutput.Trim().Length > 0) return false;
        var sockets = CommandRunner.Run(SystemPrograms.Path("ip"), "netns", "exec", name, "ss", "-H", "-a", "-n", "-t", "-u", "-w");
        return sockets.Succeeded && sockets.StandardOutput.Trim().Length == 0;
    }
}
