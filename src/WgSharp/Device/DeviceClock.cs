using System.Diagnostics;

namespace WgSharp.Device;

/// <summary>The device's monotonic protocol time, from its start (every timer and session age is measured on it).</summary>
internal sealed class DeviceClock(double scale)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public TimeSpan Now => Stopwatch.GetElapsedTime(_start) * scale;

    /// <summary>How many times faster than real time protocol time runs (a test hook; 1 in production).</summary>
    public double Scale => scale;
}
