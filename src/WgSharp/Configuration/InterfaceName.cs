namespace WgSharp.Configuration;

/// <summary>
/// The one rule for interface names, used by the TUN, the UAPI server and client, the ifconfig parser and
/// the command line. Linux's rules (dev_valid_name): 1 to 15 bytes (IFNAMSIZ 16 with the NUL), not "." or
/// "..", no '/', ':', whitespace or NUL. Two choices on top, so every tool agrees on what a name is:
/// <list type="bullet">
/// <item>Printable ASCII only. The kernel takes any other byte, but a non-ASCII name counts bytes, not
/// characters, against the limit, can be spelt several ways (Unicode normalisation) or look like another
/// name, and lands in a socket path and in logs; OpenBSD's ifconfig refuses it too.</item>
/// <item>No '%'. TUNSETIFF treats "%d" as a template and picks a number, so the interface would not have
/// the name its control socket was created for. Only <see cref="IsValidTemplate"/>, for code that creates a
/// TUN and reads back the name the kernel chose, accepts one "%d".</item>
/// </list>
/// </summary>
internal static class InterfaceName
{
    /// <summary>IFNAMSIZ (16) minus the terminating NUL, on Linux and OpenBSD alike.</summary>
    public const int MaxLength = 15;

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name is not ("." or "..") && !name.Contains('%') &&
        name.All(IsAllowedCharacter);

    /// <summary>A name with exactly one "%d" for the kernel to fill in (TUNSETIFF), valid otherwise.</summary>
    public static bool IsValidTemplate(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength) return false;
        int at = name.IndexOf("%d", StringComparison.Ordinal);
        return at >= 0 && IsValid(name.Remove(at, 2) + "0");
    }

    private static bool IsAllowedCharacter(char c) => c is > ' ' and < (char)0x7f && c != '/' && c != ':';
}
