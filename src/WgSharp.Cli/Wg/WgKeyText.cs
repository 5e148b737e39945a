using WgSharp.Keys;

namespace WgSharp.Cli.Wg;

/// <summary>Base64 keys as wg(8) accepts them: exactly 44 characters, one '=' pad, no stray bits.</summary>
internal static class WgKeyText
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public static bool TryParse(string? text, out Key key)
    {
        key = default;
        if (text is null || text.Length != 44 || text[43] != '=') return false;
        for (int i = 0; i < 43; i++)
            if (Alphabet.IndexOf(text[i]) < 0) return false;
        // The last character carries 4 bits of key and 2 padding bits that must be zero;
        // .NET's decoder ignores them, wg refuses keys that set them.
        if ((Alphabet.IndexOf(text[42]) & 3) != 0) return false;
        return Key.TryParseBase64(text, out key, out _);
    }
}
