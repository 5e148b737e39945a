using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WgSharp.Keys;

/// <summary>
/// A 32-byte WireGuard key (private, public or preshared). A value type so peers can be looked
/// up by public key without allocation. Equality via == is ordinary (for dictionaries of public
/// keys); use <see cref="ConstantTimeEquals"/> wherever a secret is compared.
/// </summary>
public readonly struct Key : IEquatable<Key>
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
    /// <exception cref="FormatException">The text is not 32 bytes of base64.</exception>
    public static Key ParseBase64(string text) =>
        TryParseBase64(text, out var k, out var e) ? k : throw new FormatException(e);

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
