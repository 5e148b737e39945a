using System.Net;
using System.Text;
using WgSharp.Configuration;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Reads hostname.if(5)-style files (DIR/hostname.IFNAME) the way netstart(8) does: every line
/// that is not blank or a comment is one `ifconfig IFNAME ...` argument list (words split on
/// blanks, quotes keep blanks in a word, '#' starting a word begins a comment). A bad line is reported with file
/// and line number; the other lines are still returned (the caller applies a file with a bad line not at all).
/// </summary>
internal static class HostnameIfReader
{
    public const string FilePrefix = "hostname.";
    /// <summary>These are small configuration files; refuse anything absurdly large.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>Interface names with a hostname.IF file in <paramref name="directory"/>, sorted.</summary>
    public static IReadOnlyList<string> ListInterfaces(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        // The pattern "hostname.*" also matches "hostname" itself (/etc/hostname on every Debian host): the
        // prefix is checked again on the name before it is cut.
        return Directory.EnumerateFiles(directory, FilePrefix + "*")
            .Select(System.IO.Path.GetFileName)
            .Where(name => name is not null && name.Length > FilePrefix.Length && name.StartsWith(FilePrefix, StringComparison.Ordinal))
            .Select(name => name![FilePrefix.Length..])
            .Where(IsConfigurableName)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// netstart only configures names made of letters then digits, so backup files such as
    /// hostname.wg0~ or hostname.wg0.orig are skipped.
    /// </summary>
    public static bool IsConfigurableName(string name)
    {
        int letters = 0;
        while (letters < name.Length && char.IsAsciiLetter(name[letters])) letters++;
        if (letters == 0 || letters == name.Length) return false;
        for (int i = letters; i < name.Length; i++)
            if (!char.IsAsciiDigit(name[i])) return false;
        return InterfaceName.IsValid(name);
    }

    /// <summary>
    /// Reads and parses DIR/hostname.IFNAME, trusting it only as <see cref="TrustedConfigFile"/> does (root's, written
    /// by nobody else, not a symlink). Throws if the file cannot be read or is refused (<see cref="UntrustedFileException"/>);
    /// <paramref name="warn"/> hears of a world-readable file whose mode was fixed.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static HostnameIfFile Read(string directory, string interfaceName, Func<string, IPAddress?>? resolveHost = null, Action<string>? warn = null)
    {
        if (!IsConfigurableName(interfaceName))
            throw new ArgumentException($"'{interfaceName}' is not a configurable interface name", nameof(interfaceName));
        string path = System.IO.Path.Combine(directory, FilePrefix + interfaceName);
        return Parse(path, interfaceName, TrustedConfigFile.ReadAllText(path, MaxFileBytes, warn), resolveHost);
    }

    /// <summary>Parses file contents already read; <paramref name="path"/> is only used in messages.</summary>
    public static HostnameIfFile Parse(string path, string interfaceName, string contents,
        Func<string, IPAddress?>? resolveHost = null)
    {
        var lines = new List<HostnameIfLine>();
        string[] rawLines = contents.Split('\n');
        for (int index = 0; index < rawLines.Length; index++)
        {
            string text = rawLines[index].TrimEnd('\r');
            int lineNumber = index + 1;
            string[] words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            if (words[0].StartsWith('!'))
            {
                // Like netstart: the words re-joined by single spaces, with $if substituted.
                string command = string.Join(' ', words)[1..].Replace("$if", interfaceName, StringComparison.Ordinal);
                lines.Add(new HostnameIfLine(lineNumber, text) { ShellCommand = command });
                continue;
            }
            if (!TrySplitWords(text, out words, out string? splitError))
            {
                lines.Add(new HostnameIfLine(lineNumber, text)
                {
                    Arguments = [.. words],
                    Error = new IfconfigError(text, $"{path}:{lineNumber}: {splitError}"),
                });
                continue;
            }
            if (words.Length == 0) continue;
            var arguments = RewriteAddressLine(words);
            string where = $"{path}:{lineNumber}";
            if (IfconfigParser.TryParse(interfaceName, arguments, out var parsed, out var error, resolveHost))
                lines.Add(new HostnameIfLine(lineNumber, text) { Arguments = arguments, Command = parsed });
            else
                lines.Add(new HostnameIfLine(lineNumber, text)
                {
                    Arguments = arguments,
                    Error = error with { Message = $"{where}: {error.Message}" },
                });
        }
        return new HostnameIfFile(path, interfaceName, lines);
    }

    /// <summary>
    /// The words of a line as netstart's shell reads them: split on blanks, a double- or single-quoted part keeps
    /// its blanks (`wgdescr "peer nine"` is two words), an unquoted '#' starting a word begins a comment.
    /// False with a reason for an unterminated quote.
    /// </summary>
    internal static bool TrySplitWords(string line, out string[] words, out string? error)
    {
        var result = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        error = null;
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
                continue;
            }
            if (c is ' ' or '\t')
            {
                if (inWord) result.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            if (c == '#' && !inWord) break;
            inWord = true;
            if (c is '"' or '\'') quote = c;
            else word.Append(c);
        }
        if (quote != '\0')
        {
            words = [.. result];
            error = $"unterminated {quote} quote";
            return false;
        }
        if (inWord) result.Add(word.ToString());
        words = [.. result];
        return true;
    }

    /// <summary>
    /// netstart's positional forms: "inet [alias] ADDR [MASK [BROADCAST|NONE]] ..." and
    /// "inet6 [alias] ADDR [PREFIXLEN] ...". Unlike netstart, a positional slot is only rewritten
    /// when it holds a value of the right shape, so "inet 10.0.0.1/24 up" also works.
    /// </summary>
    private static List<string> RewriteAddressLine(string[] words)
    {
        var result = new List<string>(words);
        if (words.Length < 2) return result;
        int addressSlot = words[1] == "alias" ? 2 : 1;
        if (words[0] == "inet")
        {
            int maskSlot = addressSlot + 1, broadcastSlot = addressSlot + 2;
            if (maskSlot < result.Count && LooksNumeric(result[maskSlot]))
            {
                if (broadcastSlot < result.Count && (result[broadcastSlot] == "NONE" || LooksNumeric(result[broadcastSlot])))
                {
                    if (result[broadcastSlot] == "NONE") result.RemoveAt(broadcastSlot);
                    else result.Insert(broadcastSlot, "broadcast");
                }
                result.Insert(maskSlot, "netmask");
            }
        }
        else if (words[0] == "inet6")
        {
            int prefixSlot = addressSlot + 1;
            if (prefixSlot < result.Count && result[prefixSlot].All(char.IsAsciiDigit))
                result.Insert(prefixSlot, "prefixlen");
        }
        return result;
    }

    private static bool LooksNumeric(string word) => word.Length > 0 && char.IsAsciiDigit(word[0]);
}
