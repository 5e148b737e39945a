using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// A 32-byte WireGuard key (private, public or preshared). A value type so peers can be looked
/// up by public key without allocation. Equality via == is ordinary (for dictionaries of public
/// keys); use <see cref="ConstantTimeEquals"/> wherever a secret is compared.
/// <see cref="Parse(string)"/> and <see cref="TryParse(string?, out Key)"/> read the base64 form wg(8) prints and the
/// hex form of the UAPI; <see cref="ToString"/> never prints key material (<see cref="ToBase64"/> does, deliberately).
/// </summary>
public readonly struct Key : IEquatable<Key>, ISpanParsable<Key>
{
    /// <summary>The length of every WireGuard key in bytes.</summary>
    public const int Size = 32;

    [InlineArray(Size)]
    private struct Bytes32 { private byte _e; }

    private readonly Bytes32 _bytes;

    /// <summary>A key holding a copy of <paramref name="bytes"/>.</summary>
    /// <param name="bytes">Exactly <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException">The span is not <see cref="Size"/> bytes long.</exception>
    public Key(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a key is {Size} bytes, got {bytes.Length}");
        bytes.CopyTo(_bytes);
    }

    /// <summary>The all-zero key, which stands for "no key".</summary>
    public static Key Zero => default;

    /// <summary>The key's bytes, without a copy.</summary>
    public ReadOnlySpan<byte> AsSpan() => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _bytes[0]), Size);

    /// <summary>Whether every byte is zero (compared in constant time).</summary>
    public bool IsZero => X25519Helpers.IsAllZero(AsSpan());

    /// <summary>A copy of the bytes in a new array (the caller should clear it when it holds a secret).</summary>
    public byte[] ToArray() => AsSpan().ToArray();

    /// <summary>Copies the bytes into <paramref name="destination"/>, which must hold <see cref="Size"/> bytes.</summary>
    public void CopyTo(Span<byte> destination) => AsSpan().CopyTo(destination);

    /// <summary>Compares in time independent of the contents; use it wherever a secret is compared.</summary>
    public bool ConstantTimeEquals(in Key other) => CryptographicOperations.FixedTimeEquals(AsSpan(), other.AsSpan());

    /// <summary>Ordinary (not constant-time) comparison, for dictionaries of public keys.</summary>
    public bool Equals(Key other) => AsSpan().SequenceEqual(other.AsSpan());
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Key k && Equals(k);
    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(AsSpan()[..4]) ^ BitConverter.ToInt32(AsSpan()[28..]);
    /// <summary>Ordinary (not constant-time) equality.</summary>
    public static bool operator ==(Key a, Key b) => a.Equals(b);
    /// <summary>Ordinary (not constant-time) inequality.</summary>
    public static bool operator !=(Key a, Key b) => !a.Equals(b);

    /// <summary>The standard base64 form that wg(8) prints and reads.</summary>
    public string ToBase64() => Convert.ToBase64String(AsSpan());
    /// <summary>The lowercase hex form the UAPI protocol uses.</summary>
    public string ToHex() => Convert.ToHexStringLower(AsSpan());

    /// <summary>Never prints key material: use ToBase64 deliberately where a key must be shown.</summary>
    public override string ToString() => "(key)";

    /// <summary>
    /// Parses exactly 32 bytes of standard base64 as wg(8) accepts them: 44 characters of the base64 alphabet
    /// with one '=' pad, and the 2 unused bits of the last character zero. This is the one base64 key rule.
    /// </summary>
    public static bool TryParseBase64(string? text, out Key key, out string error) =>
        TryParseBase64(text.AsSpan(), out key, out error);

    /// <summary>The same rule over characters, so key text never has to become a string.</summary>
    public static bool TryParseBase64(ReadOnlySpan<char> text, out Key key, out string error)
    {
        key = default;
        if (text.IsEmpty) { error = "empty key"; return false; }
        if (text.Length != 44 || text[43] != '=') { error = "key must be 32 bytes encoded as 44 base64 characters"; return false; }
        Span<byte> buf = stackalloc byte[Size];
        // Decoded by hand, six bits at a time: the BCL's decoder skips whitespace and ignores the 2 unused
        // bits of the last character; wg refuses both, and so must we, or one key would have several spellings.
        int acc = 0, bits = 0, written = 0;
        for (int i = 0; i < 43; i++)
        {
            int v = Base64Value(text[i]);
            if (v < 0 || (i == 42 && (v & 3) != 0))
            {
                CryptographicOperations.ZeroMemory(buf);
                error = "key is not valid base64 of 32 bytes";
                return false;
            }
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) { bits -= 8; buf[written++] = (byte)(acc >> bits); acc &= (1 << bits) - 1; }
        }
        key = new Key(buf);
        CryptographicOperations.ZeroMemory(buf);
        error = "";
        return true;
    }

    /// <summary>Parses the base64 form of a key.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not 32 bytes of base64 (the message never repeats the text).</exception>
    public static Key ParseBase64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseBase64(text, out var k, out var e) ? k : throw new FormatException(e);
    }

    /// <summary>
    /// Parses a key written as wg(8) prints it (44 characters of base64) or as the UAPI does (64 hex digits).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is neither form (the message never repeats the text: it may be a secret).</exception>
    public static Key Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>As <see cref="Parse(string)"/>, over characters.</summary>
    /// <exception cref="FormatException">The text is neither form (the message never repeats the text).</exception>
    public static Key Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out var key) ? key : throw new FormatException(ParseError(text));

    /// <summary>As <see cref="Parse(string)"/>, returning false instead of throwing (null gives false).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Key key)
    {
        key = default;
        return text is not null && TryParse(text.AsSpan(), out key);
    }

    /// <summary>As <see cref="Parse(ReadOnlySpan{char})"/>, returning false instead of throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Key key) =>
        text.Length == 2 * Size ? TryParseHex(text, out key) : TryParseBase64(text, out key, out _);

    /// <inheritdoc cref="Parse(string)"/>
    /// <param name="s">The key text.</param>
    /// <param name="provider">Ignored: key text is the same in every culture.</param>
    public static Key Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc cref="Parse(ReadOnlySpan{char})"/>
    /// <param name="s">The key text.</param>
    /// <param name="provider">Ignored: key text is the same in every culture.</param>
    public static Key Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    /// <inheritdoc cref="TryParse(string?, out Key)"/>
    /// <param name="s">The key text.</param>
    /// <param name="provider">Ignored: key text is the same in every culture.</param>
    /// <param name="result">The key, or <see cref="Zero"/> when the text is neither form.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out Key result) => TryParse(s, out result);

    /// <inheritdoc cref="TryParse(ReadOnlySpan{char}, out Key)"/>
    /// <param name="s">The key text.</param>
    /// <param name="provider">Ignored: key text is the same in every culture.</param>
    /// <param name="result">The key, or <see cref="Zero"/> when the text is neither form.</param>
    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out Key result) => TryParse(s, out result);

    // Says what is wrong with the shape, never what the text was: key text is often a private key.
    private static string ParseError(ReadOnlySpan<char> text)
    {
        if (text.Length == 2 * Size) return "a key of 64 characters must be hex digits";
        TryParseBase64(text, out _, out var error);
        return error + " (or 64 hex digits)";
    }

    /// <summary>Parses exactly 64 hex digits (the UAPI encoding).</summary>
    public static bool TryParseHex(string? text, out Key key)
    {
        key = default;
        return text is not null && TryParseHex(text.AsSpan(), out key);
    }

    /// <summary>Parses exactly 64 hex digits given as characters.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, out Key key)
    {
        key = default;
        if (text.Length != 2 * Size) return false;
        Span<byte> buf = stackalloc byte[Size];
        for (int i = 0; i < Size; i++)
        {
            int hi = HexVal(text[2 * i]), lo = HexVal(text[2 * i + 1]);
            if ((hi | lo) < 0) { CryptographicOperations.ZeroMemory(buf); return false; }
            buf[i] = (byte)((hi << 4) | lo);
        }
        key = new Key(buf);
        CryptographicOperations.ZeroMemory(buf);
        return true;
    }

    /// <summary>Parses exactly 64 hex digits straight from UTF-8 bytes (a UAPI request line), with no text in between.</summary>
    public static bool TryParseHex(ReadOnlySpan<byte> utf8, out Key key)
    {
        key = default;
        if (utf8.Length != 2 * Size) return false;
        Span<byte> buf = stackalloc byte[Size];
        for (int i = 0; i < Size; i++)
        {
            int hi = HexVal((char)utf8[2 * i]), lo = HexVal((char)utf8[2 * i + 1]);
            if ((hi | lo) < 0) { CryptographicOperations.ZeroMemory(buf); return false; }
            buf[i] = (byte)((hi << 4) | lo);
        }
        key = new Key(buf);
        CryptographicOperations.ZeroMemory(buf);
        return true;
    }

    /// <summary>Writes the 64 lowercase hex digits as UTF-8 into <paramref name="destination"/> (no string is made).</summary>
    /// <exception cref="ArgumentException">The destination holds fewer than 64 bytes.</exception>
    public void WriteHex(Span<byte> destination)
    {
        if (destination.Length < 2 * Size) throw new ArgumentException("the destination holds fewer than 64 bytes", nameof(destination));
        var bytes = AsSpan();
        for (int i = 0; i < Size; i++)
        {
            destination[2 * i] = (byte)"0123456789abcdef"[bytes[i] >> 4];
            destination[2 * i + 1] = (byte)"0123456789abcdef"[bytes[i] & 0xf];
        }
    }

    private static int Base64Value(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' => 62,
        '/' => 63,
        _ => -1,
    };

    private static int HexVal(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}

internal static class X25519Helpers
{
    public static bool IsAllZero(ReadOnlySpan<byte> data)
    {
        int acc = 0;
        foreach (byte b in data) acc |= b;
        return acc == 0;
    }
}
