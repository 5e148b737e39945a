namespace WgSharp.Device;

/// <summary>
/// The device's monotonic protocol time, from its start: every timer, session age and the under-load hysteresis
/// are measured on it. Its <see cref="TimeProvider"/> is the system's in production; tests pass a fake or a
/// faster one (DeviceOptions.TimeProvider).
/// </summary>
internal sealed class DeviceClock(TimeProvider time)
{
    private readonly long _start = time.GetTimestamp();

    public TimeProvider Time => time;

    public TimeSpan Now => time.GetElapsedTime(_start);
}
