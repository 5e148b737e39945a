namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Why an ifconfig argument list was refused. <see cref="Word"/> is the offending argument,
/// <see cref="Message"/> the diagnostic without program name (e.g. "wgport: 70000: out of range").
/// Key material is never echoed in the message.
/// </summary>
internal sealed record IfconfigError(string Word, string Message)
{
    /// <summary>The one-line diagnostic the CLI prints, e.g. "wgsharp: wgport: 70000: out of range".</summary>
    public string FullMessage => $"wgsharp: {Message}";

    public override string ToString() => FullMessage;
}
