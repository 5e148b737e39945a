using WgSharp.Configuration;

namespace WgSharp.Control.Uapi;

/// <summary>
/// Lets one set request at a time reach the device, as wireguard-go's ipcMutex does, whatever locking the
/// device has itself: the UAPI server's connections share one of these (the lock is no one else's to take).
/// </summary>
internal sealed class SerializedDeviceControl(IDeviceControl device) : IDeviceControl
{
    private readonly Lock _applyLock = new();

    public string InterfaceName => device.InterfaceName;

    public DeviceStatus GetStatus() => device.GetStatus();

    public ConfigResult Apply(DeviceUpdate update)
    {
        lock (_applyLock) return device.Apply(update);
    }
}
