using WgSharp.Cli.Wg;

namespace WgSharp.Tests.WgCli;

public class HumanTextTests
{
    [Theory]
    [InlineData(1UL, "1 second")]
    [InlineData(2UL, "2 seconds")]
    [InlineData(60UL, "1 minute")]
    [InlineData(65UL, "1 minute, 5 seconds")]
    [InlineData(3600UL, "1 hour")]
    [InlineData(3661UL, "1 hour, 1 minute, 1 second")]
    [InlineData(86400UL * 2 + 7200, "2 days, 2 hours")]
    [InlineData(365UL * 86400 + 1, "1 year, 1 second")]
    [InlineData(3 * 365UL * 86400 + 86400 + 59, "3 years, 1 day, 59 seconds")]
    [InlineData(0UL, "")]
    public void Duration_lists_non_zero_units_like_wg(ulong seconds, string expected) =>
        Assert.Equal(expected, HumanText.Duration(seconds, TerminalColors.None));

    [Fact]
    public void Duration_colors_unit_words_only()
    {
        Assert.Equal("1 \x1b[36mminute\x1b[0m, 5 \x1b[36mseconds\x1b[0m", HumanText.Duration(65, TerminalColors.Ansi));
    }

    [Fact]
    public void Ago_says_now_ago_or_warns_about_the_clock()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        Assert.Equal("Now", HumanText.Ago(now.AddMilliseconds(100), now.AddMilliseconds(800), TerminalColors.None));
        Assert.Equal("1 minute, 5 seconds ago", HumanText.Ago(now.AddSeconds(-65), now, TerminalColors.None));
        Assert.Equal("(System clock wound backward; connection problems may ensue.)", HumanText.Ago(now.AddSeconds(5), now, TerminalColors.None));
    }

    [Fact]
    public void Every_formats_keepalive() => Assert.Equal("every 25 seconds", HumanText.Every(25, TerminalColors.None));

    [Theory]
    [InlineData(0UL, "0 B")]
    [InlineData(1023UL, "1023 B")]
    [InlineData(1024UL, "1.00 KiB")]
    [InlineData(1536UL, "1.50 KiB")]
    [InlineData(1152UL, "1.12 KiB")] // 1.125 exactly: printf rounds the tie to even
    [InlineData(1176UL, "1.15 KiB")] // 1.1484375
    [InlineData(1664UL, "1.62 KiB")] // 1.625 tie → even
    [InlineData(1685UL, "1.65 KiB")] // 1.6455..
    [InlineData(1048575UL, "1024.00 KiB")]
    [InlineData(1048576UL, "1.00 MiB")]
    [InlineData(106219184UL, "101.30 MiB")]
    [InlineData(1073741824UL * 3 / 2, "1.50 GiB")]
    [InlineData(1099511627776UL, "1.00 TiB")]
    [InlineData(1099511627776UL * 2048, "2048.00 TiB")]
    [InlineData(ulong.MaxValue, "16777216.00 TiB")]
    public void Bytes_uses_wg_units_and_printf_rounding(ulong bytes, string expected) =>
        Assert.Equal(expected, HumanText.Bytes(bytes, TerminalColors.None));

    [Fact]
    public void Bytes_rounding_matches_the_exact_value_over_many_values()
    {
        // Reference: exact decimal arithmetic, ties to even, for every byte count in a range.
        for (ulong b = 1024; b < 1024 * 40; b += 7)
        {
            decimal exact = b / 1024m;
            decimal rounded = Math.Round(exact, 2, MidpointRounding.ToEven);
            Assert.Equal(rounded.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " KiB", HumanText.Bytes(b, TerminalColors.None));
        }
    }
}
