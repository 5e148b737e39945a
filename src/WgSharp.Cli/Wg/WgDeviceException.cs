namespace WgSharp.Cli.Wg;

/// <summary>A device could not be read or changed; the message is the reason (as strerror would word it).</summary>
internal sealed class WgDeviceException(string reason) : Exception(reason);
