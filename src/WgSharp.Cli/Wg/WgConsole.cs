namespace WgSharp.Cli.Wg;

/// <summary>What the wg-style commands read from and write to; the process's own streams, or fakes in tests.</summary>
internal sealed class WgConsole
{
    public required Stream Input { get; init; }
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public TerminalColors Colors { get; init; } = TerminalColors.None;
    public WgDevices Devices { get; init; } = new();
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
    /// <summary>True when standard output is a regular file others may read (genkey warns then).</summary>
    public Func<bool> OutputIsWorldAccessible { get; init; } = () => false;

    public static WgConsole Standard() => new()
    {
        Input = Console.OpenStandardInput(),
        Out = Console.Out,
        Error = Console.Error,
        Colors = TerminalColors.ForStandardOutput(),
        OutputIsWorldAccessible = () => StandardOutputCheck.IsWorldAccessibleFile(),
    };
}
