namespace WgSharp.Cli.Wg;

/// <summary>
/// The ANSI escapes `wg show` colors its output with, or empty strings. As wg: colored when
/// WG_COLOR_MODE=always, or when it is not "never" and standard output is a terminal.
/// </summary>
internal sealed class TerminalColors
{
    public static readonly TerminalColors None = new(false);
    public static readonly TerminalColors Ansi = new(true);

    private TerminalColors(bool on)
    {
        Enabled = on;
        Reset = on ? "\x1b[0m" : "";
        Bold = on ? "\x1b[1m" : "";
        Red = on ? "\x1b[31m" : "";
        Green = on ? "\x1b[32m" : "";
        Yellow = on ? "\x1b[33m" : "";
        Cyan = on ? "\x1b[36m" : "";
    }

    public bool Enabled { get; }
    public string Reset { get; }
    public string Bold { get; }
    public string Red { get; }
    public string Green { get; }
    public string Yellow { get; }
    public string Cyan { get; }

    public static TerminalColors ForStandardOutput()
    {
        string? mode = Environment.GetEnvironmentVariable("WG_COLOR_MODE");
        bool on = mode switch
        {
            "always" => true,
            "never" => false,
            _ => !Console.IsOutputRedirected,
        };
        return on ? Ansi : None;
    }
}
