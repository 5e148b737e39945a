using Microsoft.Extensions.Logging;

namespace WgSharp.Device;

/// <summary>
/// Where a device's collaborators log, with the interface name every message carries and the debug switch
/// (`wg set debug`) that every debug message checks first, so a quiet device builds no message.
/// </summary>
internal sealed class InterfaceLog(ILogger logger, string interfaceName, bool debug)
{
    private volatile bool _debug = debug;

    public ILogger Logger { get; } = logger;

    /// <summary>The interface's name as it was when the device started (messages name it).</summary>
    public string Name { get; } = interfaceName;

    /// <summary>The debug log switch, flipped by a configuration change.</summary>
    public bool Debug
    {
        get => _debug;
        set => _debug = value;
    }
}
