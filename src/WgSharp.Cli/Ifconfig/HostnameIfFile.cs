namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// One meaningful line of a hostname.if file: either an ifconfig command, a "!" shell command,
/// or an error (with file name and line number) that the caller reports before applying the rest.
/// </summary>
internal sealed record HostnameIfLine(int LineNumber, string Text)
{
    /// <summary>The ifconfig arguments after netstart's rewriting (e.g. "inet A M B" → "inet A netmask M broadcast B").</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public IfconfigCommand? Command { get; init; }
    /// <summary>For "!cmd" lines: the command with $if replaced by the interface name, for the caller to run (or refuse).</summary>
    public string? ShellCommand { get; init; }
    /// <summary>Why the line was refused; the message starts with "FILE:LINE: ".</summary>
    public IfconfigError? Error { get; init; }

    public bool IsError => Error is not null;
}

/// <summary>The parsed lines of one hostname.IFNAME file, in file order.</summary>
internal sealed record HostnameIfFile(string Path, string InterfaceName, IReadOnlyList<HostnameIfLine> Lines)
{
    public IEnumerable<HostnameIfLine> Errors => Lines.Where(l => l.IsError);
    public bool HasErrors => Lines.Any(l => l.IsError);
}
