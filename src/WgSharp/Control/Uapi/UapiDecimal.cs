namespace WgSharp.Control.Uapi;

/// <summary>
/// Unsigned decimal numbers as the UAPI writes them. Mirrors Go's strconv.ParseUint(s, 10, bits),
/// which wireguard-go uses: ASCII digits only (no sign, no spaces, no underscores), leading zeros
/// allowed, and the value must fit the field.
/// </summary>
internal static class UapiDecimal
{
    public static bool TryParse(ReadOnlySpan<char> text, ulong max, out ulong value)
    {
        value = 0;
        if (text.IsEmpty) return false;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            ulong digit = (ulong)(c - '0');
            if (digit > max) return false;
            // Refuse before overflowing, so an absurdly long number cannot wrap around.
            if (value > (max - digit) / 10) return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
