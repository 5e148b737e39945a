using System.Globalization;

namespace WgSharp.Cli.Wg;

/// <summary>Looks up UDP service names in /etc/services, as getaddrinfo does for wg's port values.</summary>
internal static class ServiceDatabase
{
    public static bool TryFindUdpPort(string name, out ushort port, string path = "/etc/services")
    {
        port = 0;
        if (!File.Exists(path)) return false;
        foreach (string rawLine in File.ReadLines(path))
        {
            int hash = rawLine.IndexOf('#');
            string line = hash >= 0 ? rawLine[..hash] : rawLine;
            var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2) continue;
            int slash = words[1].IndexOf('/');
            if (slash < 0 || !words[1][(slash + 1)..].Equals("udp", StringComparison.Ordinal)) continue;
            if (!words.Where((_, i) => i != 1).Contains(name, StringComparer.Ordinal)) continue;
            if (ushort.TryParse(words[1][..slash], NumberStyles.None, CultureInfo.InvariantCulture, out port)) return true;
        }
        return false;
    }
}
