using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>Base64 keys as wg(8) accepts them; the rule itself lives in <see cref="Key.TryParseBase64(ReadOnlySpan{char}, out Key, out string)"/>.</summary>
internal static class WgKeyText
{
    public static bool TryParse(string? text, out Key key) => Key.TryParseBase64(text.AsSpan(), out key, out _);
}
