using WgSharp.Configuration;

namespace WgSharp.Cli.Proxy.Front;

/// <summary>
/// `--control PATH`: the UAPI socket is DIR/NAME.sock, as wg(8) and wireguard-go name them, so PATH must end in
/// ".sock" and NAME (at most 15 bytes, no '/') becomes the interface's name. `wgsharp show PATH` reads it anywhere;
/// `wg show NAME` finds it when DIR is /var/run/wireguard.
/// </summary>
internal static class ControlSocketPath
{
    public const string Suffix = ".sock";

    /// <summary>PATH itself when it is DIR/NAME.sock with a valid NAME; <see cref="ProxyConfigException"/> otherwise.</summary>
    public static string Check(string path)
    {
        if (!path.EndsWith(Suffix, StringComparison.Ordinal) || !InterfaceName.IsValid(NameOf(path)))
            throw new ProxyConfigException($"--control {ServiceSpecParser.Shorten(path)}: not DIR/NAME.sock with NAME an interface name (1-15 bytes, no '/' or spaces)");
        return path;
    }

    /// <summary>NAME of DIR/NAME.sock.</summary>
    public static string NameOf(string path) => Path.GetFileName(path)[..^Suffix.Length];

    /// <summary>DIR of DIR/NAME.sock (the current directory for a bare NAME.sock).</summary>
    public static string DirectoryOf(string path) => Path.GetDirectoryName(Path.GetFullPath(path))!;
}
