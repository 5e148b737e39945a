using System.Globalization;
using System.Text;

namespace WgSharp.Cli.Wg;

/// <summary>The human units of `wg show`: "1 minute, 5 seconds", "every 25 seconds", "1.50 KiB".</summary>
internal static class HumanText
{
    private const ulong SecondsPerYear = 365UL * 24 * 60 * 60;
    private const ulong SecondsPerDay = 24UL * 60 * 60;

    /// <summary>
    /// "N year(s), N day(s), N hour(s), N minute(s), N second(s)", leaving out zero parts;
    /// empty for zero (as wg prints it). The unit words are colored when <paramref name="colors"/> says so.
    /// </summary>
    public static string Duration(ulong seconds, TerminalColors colors)
    {
        var sb = new StringBuilder();
        AppendPart(sb, seconds / SecondsPerYear, "year", colors);
        seconds %= SecondsPerYear;
        AppendPart(sb, seconds / SecondsPerDay, "day", colors);
        seconds %= SecondsPerDay;
        AppendPart(sb, seconds / 3600, "hour", colors);
        seconds %= 3600;
        AppendPart(sb, seconds / 60, "minute", colors);
        AppendPart(sb, seconds % 60, "second", colors);
        return sb.ToString();
    }

    private static void AppendPart(StringBuilder sb, ulong count, string unit, TerminalColors colors)
    {
        if (count == 0) return;
        if (sb.Length > 0) sb.Append(", ");
        sb.Append(count.ToString(CultureInfo.InvariantCulture)).Append(' ')
          .Append(colors.Cyan).Append(unit).Append(count == 1 ? "" : "s").Append(colors.Reset);
    }

    /// <summary>How long ago a handshake was: "Now", "N ... ago", or a warning when it lies in the future.</summary>
    public static string Ago(DateTimeOffset then, DateTimeOffset now, TerminalColors colors)
    {
        long thenSeconds = then.ToUnixTimeSeconds(), nowSeconds = now.ToUnixTimeSeconds();
        if (thenSeconds == nowSeconds) return "Now";
        if (nowSeconds < thenSeconds)
            return "(" + colors.Red + "System clock wound backward; connection problems may ensue." + colors.Reset + ")";
        return Duration((ulong)(nowSeconds - thenSeconds), colors) + " ago";
    }

    public static string Every(ushort seconds, TerminalColors colors) => "every " + Duration(seconds, colors);

    /// <summary>
    /// "N B" below 1 KiB, else two decimals of KiB, MiB, GiB or TiB. The value is rounded as C's
    /// printf("%.2f") rounds the double wg computes: exactly, ties to even (1.125 → "1.12"), which
    /// .NET's "F2" (ties away from zero) would not reproduce.
    /// </summary>
    public static string Bytes(ulong bytes, TerminalColors colors)
    {
        if (bytes < 1024)
            return bytes.ToString(CultureInfo.InvariantCulture) + " " + colors.Cyan + "B" + colors.Reset;
        (int shift, string unit) = bytes switch
        {
            < 1UL << 20 => (10, "KiB"),
            < 1UL << 30 => (20, "MiB"),
            < 1UL << 40 => (30, "GiB"),
            _ => (40, "TiB"),
        };
        return FixedTwoDecimals((double)bytes, shift) + " " + colors.Cyan + unit + colors.Reset;
    }

    /// <summary>value / 2^shift with two decimals, rounded half to even on the exact binary value.</summary>
    internal static string FixedTwoDecimals(double value, int shift)
    {
        // A ulong converted to double is an integer below 2^64 + 1, so UInt128 holds it exactly.
        UInt128 numerator = (UInt128)value * 100;
        UInt128 divisor = UInt128.One << shift;
        UInt128 hundredths = numerator / divisor, remainder = numerator % divisor;
        UInt128 twice = remainder * 2;
        if (twice > divisor || (twice == divisor && (hundredths & 1) == 1)) hundredths++;
        UInt128 whole = hundredths / 100, fraction = hundredths % 100;
        return whole.ToString(CultureInfo.InvariantCulture) + "." + ((int)fraction).ToString("00", CultureInfo.InvariantCulture);
    }
}
