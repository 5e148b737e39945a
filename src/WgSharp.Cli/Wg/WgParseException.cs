namespace WgSharp.Cli.Wg;

/// <summary>
/// A command line or configuration value wg(8) would refuse. The message is what wg prints to
/// stderr (one or more lines, without the final newline); the command then exits 1.
/// </summary>
internal sealed class WgParseException(string message) : Exception(message);
