using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WgSharp.Configuration;

/// <summary>An IPv4 or IPv6 network prefix such as 10.0.0.0/24 or fd00::/64.</summary>
internal readonly record struct IpPrefix(IPAddress Address, int Bits)
{
    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;
    public int MaxBits => IsIPv4 ? 32 : 128;

    /// <summary>The same prefix with every host bit cleared (this one, without allocating, when none is set).</summary>
    public IpPrefix Masked()
    {
        Span<byte> b = stackalloc byte[16];
        Address.TryWriteBytes(b, out int len);
        b = b[..len];
        bool changed = false;
        for (int i = 0; i < len; i++)
        {
            int keep = Math.Clamp(Bits - i * 8, 0, 8);
            byte masked = (byte)(b[i] & (0xFF << (8 - keep)));
            changed |= masked != b[i];
            b[i] = masked;
        }
        return changed ? new IpPrefix(new IPAddress(b), Bits) : this;
    }

    public bool HasHostBits => !ReferenceEquals(Masked().Address, Address);

    public override string ToString() => $"{Address}/{Bits.ToString(CultureInfo.InvariantCulture)}";

    public override int GetHashCode() => HashCode.Combine(Address, Bits);

    /// <summary>
    /// Parses "ADDR/BITS" (BITS optional: a host route). Host bits are allowed here; callers that
    /// must refuse them (ifconfig) check <see cref="HasHostBits"/>, UAPI callers mask them.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IpPrefix? prefix, out string error)
    {
        prefix = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "empty prefix"; return false; }
        string addrPart = text, bitsPart = "";
        int slash = text.IndexOf('/');
        if (slash >= 0) { addrPart = text[..slash]; bitsPart = text[(slash + 1)..]; }
        if (addrPart.Contains('%') || !IPAddress.TryParse(addrPart, out var addr) ||
            addr.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) ||
            (addr.AddressFamily == AddressFamily.InterNetwork && addrPart.Count(c => c == '.') != 3))
        { error = $"bad address '{addrPart}'"; return false; }
        int max = addr.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int bits = max;
        if (slash >= 0 && (bitsPart.Length == 0 || bitsPart.Length > 3 || !bitsPart.All(char.IsAsciiDigit) ||
            !int.TryParse(bitsPart, NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
        { error = $"bad prefix length '{bitsPart}'"; return false; }
        prefix = new IpPrefix(addr, bits);
        return true;
    }
}
