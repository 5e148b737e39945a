using System.Globalization;
using WgSharp.Linux;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// OpenBSD routing domains map onto named network namespaces: rdomain N is the namespace
/// "rdomainN" (the same naming the device uses for wgrtable), rdomain 0 is the namespace
/// wgsharp itself runs in.
/// </summary>
internal static class RDomains
{
    public const string NamespacePrefix = LinuxDatagramTransportFactory.RoutingDomainPrefix;
    public const int Max = WgSharp.Control.Ifconfig.IfconfigParser.MaxRoutingTable;

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
}
