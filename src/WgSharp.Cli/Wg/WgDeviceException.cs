namespace WgSharp.Cli.Wg;

/// <summary>A device could not be read or changed; the message is the reason (as strerror would word it).</summary>
public sealed class WgDeviceException(string reason) : Exception(reason);
