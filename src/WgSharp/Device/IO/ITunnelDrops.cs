namespace WgSharp.Device.IO;

/// <summary>
/// What a tunnel reports back about the packets it could not pass on: the device counts it (its
/// <see cref="DeviceCounters"/> implement this), the tunnel sees nothing else of the device.
/// </summary>
internal interface ITunnelDrops
{
    /// <summary>A packet the tunnel could not make sense of (a bogus offload header) was dropped.</summary>
    void CountMalformed();

    /// <summary>A packet the host refused (a failed write to the interface) was dropped.</summary>
    void CountSendError();
}
