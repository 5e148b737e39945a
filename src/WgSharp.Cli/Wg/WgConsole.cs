namespace WgSharp.Cli.Wg;

/// <summary>What the wg-style commands read from and write to; the process's own streams, or fakes in tests.</summary>
internal sealed class WgConsole
{
    public required Stream Input { get; init; }
    public required TextWriter Out { get; init; }
    /// <summary>The bytes behind <see cref="Out"/>: key-bearing output goes there without becoming text. Null in tests.</summary>
    public Stream? OutBytes { get; init; }
    public required TextWriter Error { get; init; }
    public TerminalColors Colors { get; init; } = TerminalColors.None;
    public WgDevices Devices { get; init; } = new();
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
    /// <summary>True when standard output is a regular file others may read (genkey warns then).</summary>
    public Func<bool> OutputIsWorldAccessible { get; init; } = () => false;

    /// <summary>
    /// Output for text that may hold a private or preshared key: straight to <see cref="OutBytes"/> (after what
    /// <see cref="Out"/> buffered, to keep the order), or to <see cref="Out"/> when there are no bytes (tests).
    /// </summary>
    public KeyTextOutput OpenKeyOutput()
    {
        if (OutBytes is null) return new KeyTextOutput(Out);
        Out.Flush();
        return new KeyTextOutput(OutBytes);
    }

    public static WgConsole Standard() => new()
    {
        Input = Console.OpenStandardInput(),
        Out = Console.Out,
        OutBytes = Console.OpenStandardOutput(),
        Error = Console.Error,
        Colors = TerminalColors.ForStandardOutput(),
        OutputIsWorldAccessible = () => StandardOutputCheck.IsWorldAccessibleFile(),
    };
}
