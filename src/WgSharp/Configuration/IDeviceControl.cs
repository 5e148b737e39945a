namespace WgSharp.Configuration;

/// <summary>
/// What a control dialect (UAPI socket, OpenBSD ifconfig) needs from a running device.
/// Implemented by the device; faked in tests.
/// </summary>
internal interface IDeviceControl
{
    string InterfaceName { get; }

    /// <summary>A consistent snapshot of configuration and counters.</summary>
    DeviceStatus GetStatus();

    /// <summary>
    /// Applies a fully parsed change atomically: either all of it takes effect or none does.
    /// Returns <see cref="ConfigResult.Ok"/> or the errno the UAPI would report.
    /// </summary>
    ConfigResult Apply(DeviceUpdate update);
}

/// <summary>Outcome of a configuration change: 0 or a positive errno value, with a message for logs and CLI errors.</summary>
internal readonly record struct ConfigResult(int Errno, string? Message)
{
    public static ConfigResult Ok => new(0, null);
    public bool IsOk => Errno == 0;
    public static ConfigResult Fail(int errno, string message) => new(errno, message);
}

